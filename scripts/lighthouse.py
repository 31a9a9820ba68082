#!/usr/bin/env python3
"""Lighthouse scores of the built site, in the local Chromium.

    make site && .venv/bin/python scripts/lighthouse.py           # or: python3 scripts/lighthouse.py
    make site && .venv/bin/python scripts/lighthouse.py --mobile --strict

Installs lighthouse@12.2.3 (the last line that runs on Node 20) into .cache/lighthouse, apart
from the site's own node_modules, and serves site/ on 127.0.0.1 gzip-compressed, as a static
host does (literate.static_server).

Without `--mobile`: the desktop preset on the home page and on the training chapter; writes the
four category scores to .cache/lighthouse/scores.json and scores.md, the full reports next to
them, and prints the scores. `--runs 3` runs each page three times and keeps the run with the
median performance score (timings vary from run to run on a shared machine). `--strict` exits 1
when a score is below its target.

`--mobile`: Lighthouse's default (mobile) preset, a slow 4G network and a 4x slower CPU, on the
heaviest page of each kind in each edition (home, chapter, notebook page, the making page, 404;
heaviest by elements, then by gzipped bytes), three runs each (`--runs`); the median
performance score of each must be at least 0.9. Writes .cache/lighthouse/mobile.json and
mobile.md (each page's elements, bytes, median score, the spread of its runs, LCP and total
blocking time); `--strict` exits 1 naming each page below the mark. `make bench` runs it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # literate.static_server: the standard library only

from literate.static_server import serve  # noqa: E402

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
MOBILE_TARGET = 0.9  # performance, the median of the runs, on every page kind
# Each page kind: the built files of one edition it is found among (relative to the edition).
KINDS = {
    "home": ["index.html"],
    "chapter": ["chapters/*/index.html"],
    "notebook page": ["notebooks/*/index.html"],
    "making": ["making/index.html"],
    "404": ["404.html"],
}
EDITIONS = ("zh", "en")
# mkdocs-redirects' pages for old addresses: a few lines that send the reader on, not pages.
_REDIRECT = re.compile(r'<meta http-equiv="refresh"', re.IGNORECASE)


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


def pages(site: Path) -> list[str]:
    """The Chinese edition's home page and training chapter."""
    training = sorted(site.glob("zh/chapters/07-*/index.html")) or sorted(site.glob("zh/chapters/01-*/index.html"))
    found = ["zh/"]
    if training:
        found.append(training[0].parent.relative_to(site).as_posix() + "/")
    return found


def lighthouse(url: str, out: Path, *, mobile: bool = False, categories: list[str] = CATEGORIES) -> dict:
    """One Lighthouse run (the desktop preset, or the default mobile one); returns the full report,
    also left as JSON in `out`."""
    subprocess.run(
        [
            str(BIN),
            url,
            *([] if mobile else ["--preset=desktop"]),
            "--output=json",
            f"--output-path={out}",
            "--quiet",
            f"--only-categories={','.join(categories)}",
            f"--chrome-flags={' '.join(CHROME_FLAGS)}",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": CHROME},
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    if report.get("runtimeError"):
        raise RuntimeError(f"{url}: Lighthouse could not measure it: {report['runtimeError']}")
    return report


def run(url: str, out: Path) -> dict:
    """One desktop run; returns {category: score} and leaves the full JSON report in `out`."""
    report = lighthouse(url, out)
    return {c: report["categories"][c]["score"] for c in CATEGORIES}


# ---------------------------------------------------------------------------------------------
# Mobile: the heaviest page of each kind


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def handle_starttag(self, tag, attrs):
        self.count += 1

    def handle_startendtag(self, tag, attrs):
        self.count += 1


def weigh(page: Path) -> tuple[int, int]:
    """A built page's (elements, gzipped bytes): what its style and layout, and its download, cost."""
    raw = page.read_bytes()
    parser = _Elements()
    parser.feed(raw.decode("utf-8"))
    return parser.count, len(gzip.compress(raw, mtime=0))


def heaviest_pages(site: Path) -> list[dict]:
    """The heaviest page of each kind in each edition: [{edition, kind, path, elements, gzip_bytes}],
    `path` relative to the site as a browser asks for it. A kind with no page is an error."""
    found = []
    for edition in EDITIONS:
        for kind, patterns in KINDS.items():
            files = [
                f
                for pattern in patterns
                for f in sorted((site / edition).glob(pattern))
                if not _REDIRECT.search(f.read_text(encoding="utf-8")[:2000])
            ]
            if not files:
                raise SystemExit(f"{site / edition}: no {kind} page ({', '.join(patterns)}): is the site built?")
            weights = {f: weigh(f) for f in files}
            page = max(files, key=lambda f: weights[f])
            rel = page.relative_to(site).as_posix()
            found.append(
                {
                    "edition": edition,
                    "kind": kind,
                    "path": rel.removesuffix("index.html"),
                    "elements": weights[page][0],
                    "gzip_bytes": weights[page][1],
                }
            )
    return found


def summarize(reports: list[dict]) -> dict:
    """The median run of one page's mobile reports, and how far its runs spread."""
    scores = [r["categories"]["performance"]["score"] for r in reports]
    median = sorted(reports, key=lambda r: r["categories"]["performance"]["score"])[len(reports) // 2]
    audits = median["audits"]
    return {
        "score": median["categories"]["performance"]["score"],
        "scores": scores,
        "spread": round(max(scores) - min(scores), 2),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "transfer_bytes": round(audits["total-byte-weight"]["numericValue"]),
    }


def mobile_problems(results: list[dict], target: float = MOBILE_TARGET) -> list[str]:
    """One line for each page whose median mobile score is below `target`."""
    return [
        f"{r['edition']} {r['kind']} (/{r['path']}): performance {r['score']:.2f} on mobile, under {target}"
        f" (runs: {', '.join(f'{s:.2f}' for s in r['scores'])})"
        for r in results
        if r["score"] is None or r["score"] < target
    ]


def measure_mobile(site: Path, runs: int = 3) -> list[dict]:
    """Every page kind's heaviest page, `runs` mobile runs each, served gzip-compressed."""
    install()
    results = []
    with serve(site) as base:
        for page in heaviest_pages(site):
            name = "mobile-" + (page["path"].strip("/").replace("/", "-") or "root")
            reports = [
                lighthouse(base + page["path"], CACHE / f"{name}-{i + 1}.json", mobile=True, categories=["performance"])
                for i in range(runs)
            ]
            results.append({**page, **summarize(reports)})
            print(f"{page['edition']} {page['kind']}: {results[-1]['scores']}", file=sys.stderr)
    return results


def mobile_table(results: list[dict], runs: int) -> str:
    lines = [
        f"# Lighthouse {VERSION}, mobile preset (slow 4G, 4x CPU), gzip, {CHROME}, median of {runs} run(s)",
        "",
        "| edition | kind | page | elements | HTML gzipped | transfer | performance | runs | LCP | TBT |",
        "|---|---|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['edition']} | {r['kind']} | /{r['path']} | {r['elements']:,} | {r['gzip_bytes'] / 1024:.0f} KB"
            f" | {r['transfer_bytes'] / 1024:.0f} KB | {r['score']:.2f}"
            f" | {' '.join(f'{s:.2f}' for s in r['scores'])} | {r['lcp_ms'] / 1000:.1f} s | {r['tbt_ms']:,} ms |"
        )
    spreads = [r["spread"] for r in results]
    lines += [
        "",
        f"Spread between runs of a page: median {statistics.median(spreads):.2f}, largest {max(spreads):.2f}.",
    ]
    return "\n".join(lines) + "\n"


def main_mobile(site: Path, runs: int, strict: bool) -> int:
    results = measure_mobile(site, runs)
    (CACHE / "mobile.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    summary = mobile_table(results, runs)
    (CACHE / "mobile.md").write_text(summary, encoding="utf-8")
    print(summary)
    problems = mobile_problems(results)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"written: {CACHE / 'mobile.json'}, {CACHE / 'mobile.md'}")
    return 1 if strict and problems else 0


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
    parser.add_argument("--mobile", action="store_true", help="the mobile preset on the heaviest page of each kind")
    parser.add_argument("--runs", type=int, help="runs per page; the median run is kept (default: 1, 3 with --mobile)")
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
    if args.mobile:
        return main_mobile(site, args.runs or 3, args.strict)
    args.runs = args.runs or 1
    install()

    results, notes = {}, {}
    with serve(site) as base:
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

    (CACHE / "scores.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"# Lighthouse {VERSION}, desktop preset, gzip, {CHROME}, median of {max(args.runs, 1)} run(s)",
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
