"""Compare two built sites (`python scripts/compare_sites.py BEFORE AFTER [--ignore-diagrams]`),
ignoring only the outputs of blocks marked `varying`: exit 1 and name every other difference.

`--ignore-diagrams` also leaves out the inline SVG of ```dot blocks (when the diagram renderer
itself changed between the two builds) and a root index.html equal to site-root/index.html.

- figures only in one site: must be referenced only from pages of chapters with varying blocks;
  their names are replaced by FIG everywhere before comparing.
- *.ipynb: outputs of code cells whose source is a varying block's code are blanked; the rest exact.
- chapter pages: <div class="literate-output literate-varying ...">...</div> removed; the rest exact.
- notebook pages and search indexes: digits and runs of spaces normalised (timings), only for
  files of chapters that have varying blocks; other files must be byte-identical.
"""

import json
import re
import sys
from pathlib import Path

from literate.project import Project

args = [a for a in sys.argv[1:] if not a.startswith("--")]
ignore_diagrams = "--ignore-diagrams" in sys.argv
before, after = Path(args[0]), Path(args[1])
project = Project.load(".")
varying_code = set()
varying_pages = set()
for ch in project.source_chapters():
    for b in ch.python_blocks:
        if "varying" in b.options:
            varying_code.add(b.code.rstrip("\n"))
            varying_pages.add(ch.path.stem)
figs_a = {p.name for p in before.rglob("assets/figures/*.svg")}
figs_b = {p.name for p in after.rglob("assets/figures/*.svg")}
changed_figs = figs_a ^ figs_b


def norm_figs(t):
    for f in changed_figs:
        t = t.replace(f, "FIG.svg")
    return t


files_a = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
files_b = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
only = {f for f in files_a ^ files_b if f.name not in changed_figs}
problems = [f"only in one site: {f}" for f in sorted(only)]
exact = loose = 0
for rel in sorted(files_a & files_b):
    a, b = (before / rel).read_bytes(), (after / rel).read_bytes()
    if a == b:
        exact += 1
        continue
    ta, tb = norm_figs(a.decode()), norm_figs(b.decode())
    if ignore_diagrams:
        if str(rel) == "index.html" and b == Path("site-root/index.html").read_bytes():
            loose += 1
            continue
        ta, tb = (re.sub(r'<div class="literate-diagram">.*?</svg></div>', "DIAGRAM", t, flags=re.S) for t in (ta, tb))
    page = next((p for p in varying_pages if p in str(rel)), None)
    if rel.suffix == ".ipynb":

        def blank(t):
            nb = json.loads(t)
            for c in nb["cells"]:
                if c["cell_type"] == "code" and c["source"].rstrip("\n") in varying_code:
                    c["outputs"] = []
            return nb

        ok = blank(ta) == blank(tb)
    elif "chapters/" in str(rel) and rel.suffix == ".html":
        strip = lambda t: re.sub(
            r'<div class="literate-output literate-varying[^"]*">.*?</code></pre></div>', "", t, flags=re.S
        )
        ok = strip(ta) == strip(tb)
    elif page or rel.name == "search_index.json":
        n = lambda t: re.sub(r"[ \u00a0]+", " ", re.sub(r"\d[\d,.]*", "#", t))
        ok = n(ta) == n(tb)
    else:
        ok = ta == tb
    loose += 1
    if not ok:
        problems.append(f"differs beyond varying outputs: {rel}")
print(
    f"{exact} files byte-identical, {loose} equal once varying outputs are ignored, {len(changed_figs)} figure names from varying blocks"
)
print("\n".join(problems) or "no other difference")
sys.exit(1 if problems else 0)
