#!/usr/bin/env python3
"""Lighthouse scores of the built site, in the local Chromium (a check to run by hand, not a test).

    make site && .venv/bin/python scripts/lighthouse.py        # or: python3 scripts/lighthouse.py

Installs lighthouse@12.2.3 (the last line that runs on Node 20) into .cache/lighthouse, apart
from the site's own node_modules; serves site/ on 127.0.0.1; runs Lighthouse with the desktop
preset on the home page and on the training chapter (chapter 1 until chapter 7 exists); writes
the four category scores to .cache/lighthouse/scores.json and scores.md, the full reports
next to them, and prints the scores. `--runs 3` runs each page three times and keeps the run
with the median performance score (timings vary from run to run on a shared machine).
`--strict` exits 1 when a score is below its target.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = "12.2.3"
CACHE = ROOT / ".cache" / "lighthouse"
BIN = CACHE / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
TARGETS = {"performance": 0.95, "accessibility": 0.95, "best-practices": 1.0, "seo": 0.9}


def install() -> None:
    """lighthouse@VERSION in its own prefix (never the site's node_modules)."""
    package = CACHE / "node_modules" / "lighthouse" / "package.json"
    if package.is_file() and json.loads(package.read_text())["version"] == VERSION:
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--exact",
            f"lighthouse@{VERSION}",
            "--prefix",
            str(CACHE),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ],
        check=True,
    )


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def pages(site: Path) -> list[str]:
    """The Chinese edition's home page and training chapter."""
    training = sorted(site.glob("zh/chapters/07-*/index.html")) or sorted(site.glob("zh/chapters/01-*/index.html"))
    found = ["zh/"]
    if training:
        found.append(training[0].parent.relative_to(site).as_posix() + "/")
    return found


def run(url: str, out: Path) -> dict:
    """One Lighthouse run; returns {category: score} and leaves the full JSON report in `out`."""
    subprocess.run(
        [
            str(BIN),
            url,
            "--preset=desktop",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={' '.join(CHROME_FLAGS)}",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": CHROME},
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    return {c: report["categories"][c]["score"] for c in CATEGORIES}


def failing_audits(report: dict, category: str) -> list[str]:
    """The audits that cost points in `category`, for the markdown summary."""
    refs = report["categories"][category]["auditRefs"]
    lines = []
    for ref in refs:
        audit = report["audits"][ref["id"]]
        if ref["weight"] and audit.get("score") is not None and audit["score"] < 1:
            value = audit.get("displayValue", "")
            lines.append(f"{ref['id']} (score {audit['score']:.2f}{', ' + value if value else ''})")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="built site (default: site/)")
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the median run is kept")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a score misses its target")
    parser.add_argument(
        "--page",
        action="append",
        default=[],
        metavar="PATH",
        help="a page to score instead of the defaults, as a path under the site "
        "(e.g. chapters/09-autograd/); repeatable",
    )
    args = parser.parse_args()
    site = args.site.resolve()
    if not (site / "index.html").is_file():
        sys.exit(f"{site}/index.html not found: build the site first (make site)")
    if not os.access(CHROME, os.X_OK):
        sys.exit(f"{CHROME} not found (apt-get install chromium), or set CHROME_PATH")
    install()

    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    results, notes = {}, {}
    try:
        for rel in args.page or pages(site):
            name = rel.strip("/").replace("/", "-") or "home"
            runs = []
            for i in range(max(args.runs, 1)):
                out = CACHE / f"report-{name}-{i + 1}.json"
                runs.append((run(base + rel, out), out))
            runs.sort(key=lambda r: r[0]["performance"] or 0)
            scores, out = runs[len(runs) // 2]
            out.replace(CACHE / f"report-{name}.json")
            results["/" + rel] = scores
            report = json.loads((CACHE / f"report-{name}.json").read_text(encoding="utf-8"))
            notes["/" + rel] = {c: failing_audits(report, c) for c in CATEGORIES}
    finally:
        server.shutdown()

    (CACHE / "scores.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"# Lighthouse {VERSION}, desktop preset, {CHROME}, median of {max(args.runs, 1)} run(s)",
        "",
        "| page | " + " | ".join(CATEGORIES) + " |",
        "|---" * (len(CATEGORIES) + 1) + "|",
    ]
    for page, scores in results.items():
        lines.append(f"| {page} | " + " | ".join(f"{scores[c]:.2f}" for c in CATEGORIES) + " |")
    lines += ["", "Targets: " + ", ".join(f"{c} >= {t}" for c, t in TARGETS.items()), ""]
    for page, by_category in notes.items():
        for category, audits in by_category.items():
            if audits:
                lines.append(f"- {page} {category}: " + "; ".join(audits))
    summary = "\n".join(lines) + "\n"
    (CACHE / "scores.md").write_text(summary, encoding="utf-8")
    print(summary)
    print(f"written: {CACHE / 'scores.json'}, {CACHE / 'scores.md'}")
    missed = [(p, c) for p, s in results.items() for c in CATEGORIES if s[c] is None or s[c] < TARGETS[c]]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
