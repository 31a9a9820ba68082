"""Browser tests of the built site (Chromium driven by Playwright)."""
