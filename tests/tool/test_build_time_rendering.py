"""Math, diagrams and notebook pages made when the site is built (literate.math, .diagram,
.slim_css, .figure_links), without MkDocs."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from literate.diagram import DiagramError, fence_format
from literate.figure_links import link_figures
from literate.math import MathError, Typesetter
from literate.slim_css import slim_styles

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
needs_katex = pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_MODULES / "katex").is_dir(),
    reason="needs Node and `npm ci` (KaTeX)",
)
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz (apt-get install graphviz)")

CHAPTER = (
    '<p>Loss <span class="arithmatex">\\(\\ell(\\mathbf{w}) &lt; 1\\)</span></p>\n'
    '<div class="arithmatex">\\[\\text{学习率 } \\eta = 0.03\\]</div>\n'
    "<pre><code>price = $5 and $6</code></pre>"
)
NOTEBOOK = (
    '<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput" data-mime-type="text/markdown">'
    "<p>Inline $x^2$ and display</p><p>$$\\frac{a}{b}$$</p><p><code>$HOME</code> stays</p></div>"
    '<div class="jp-OutputArea"><pre>$ not math $</pre></div>'
)


@needs_katex
def test_chapter_and_notebook_math_is_typeset_with_mathml(tmp_path):
    typesetter = Typesetter(tmp_path / "math", NODE_MODULES)
    try:
        chapter = typesetter.page(CHAPTER)
        notebook = typesetter.page(NOTEBOOK)
    finally:
        typesetter.close()
    assert chapter.count('class="katex"') == 2 and "<math" in chapter
    assert "\\(" not in chapter and "\\[" not in chapter  # the delimiters are gone (the TeX stays as an annotation)
    assert "学习率" in chapter and "cjk_fallback" in chapter  # Chinese inside \text{}
    assert "ℓ" in chapter and "&lt;" in chapter  # the entity was TeX's `<`, typeset
    assert "<code>price = $5 and $6</code>" in chapter
    assert notebook.count('class="katex"') == 2 and "katex-display" in notebook
    assert "<code>$HOME</code>" in notebook and "<pre>$ not math $</pre>" in notebook
    assert typesetter.rendered == 4


@needs_katex
def test_a_warm_cache_starts_no_node(tmp_path):
    first = Typesetter(tmp_path / "math", NODE_MODULES)
    expected = first.page(CHAPTER)
    first.close()
    warm = Typesetter(tmp_path / "math", NODE_MODULES, node="no-such-node-binary")
    assert warm.page(CHAPTER) == expected and warm.process is None and warm.rendered == 0


@needs_katex
def test_bad_tex_names_the_formula(tmp_path):
    typesetter = Typesetter(tmp_path / "math", NODE_MODULES)
    try:
        with pytest.raises(MathError, match=r"\\frac\{1"):
            typesetter.page('<span class="arithmatex">\\(\\frac{1\\)</span>')
    finally:
        typesetter.close()
    assert not list((tmp_path / "math").rglob("*.html"))


def test_no_katex_is_a_clear_error(tmp_path):
    with pytest.raises(MathError, match="npm ci"):
        Typesetter(tmp_path / "math", tmp_path / "nothing").page('<span class="arithmatex">\\(x\\)</span>')


@needs_dot
def test_a_diagram_is_an_inline_svg_that_follows_the_scheme(tmp_path, monkeypatch):
    monkeypatch.setenv("LITERATE_DIAGRAM_CACHE", str(tmp_path))
    html = fence_format('digraph "循环" { a -> b [label="下一个"] }', "dot", "literate-diagram", {}, None)
    assert html.startswith('<div class="literate-diagram"><svg role="img" aria-label="循环"')
    assert 'stroke="currentColor"' in html and "black" not in html and 'fill="white"' not in html
    assert "下一个" in html and "<title>" not in html
    assert len(list(tmp_path.glob("*.svg"))) == 1
    fence_format('digraph "循环" { a -> c }', "dot", "literate-diagram", {}, None)
    assert len(list(tmp_path.glob("*.svg"))) == 2  # a changed source is drawn again


@needs_dot
def test_a_bad_diagram_stops_the_build(tmp_path, monkeypatch):
    monkeypatch.setenv("LITERATE_DIAGRAM_CACHE", str(tmp_path))
    with pytest.raises(DiagramError, match="Graphviz cannot draw"):
        fence_format("digraph { a -> }", "dot", "literate-diagram", {}, None)


def test_notebook_css_keeps_only_what_the_page_uses(tmp_path):
    css = (
        ".jupyter-wrapper{--jp-x:1}.jupyter-wrapper .jp-Cell{margin:0}"
        ".jupyter-wrapper .lm-Menu{color:red}.jupyter-wrapper :root{--icon:url(x)}"
        "@keyframes spin{to{opacity:0}}@media print{.jupyter-wrapper .jp-Cell{margin:1px}.bp3-x{a:b}}"
        "[data-md-color-scheme=slate] .jupyter-wrapper{--jp-x:2}"
    )
    page = f'<style>{css}</style><div class="jupyter-wrapper"><div class="jp-Cell"></div></div>'
    slim = slim_styles(page, tmp_path)
    assert ".jp-Cell{margin:0}" in slim and "--jp-x:1" in slim and "slate" in slim
    assert "lm-Menu" not in slim and ":root" not in slim and "keyframes" not in slim
    assert "@media print{.jupyter-wrapper .jp-Cell{margin:1px}}" in slim
    assert slim_styles(page, tmp_path) == slim and len(list(tmp_path.glob("*.css"))) == 1


def test_notebook_figures_become_links():
    svg = "<svg>figure</svg>"
    data = base64.b64encode(svg.encode()).decode()
    html = f'<img alt="x" src="data:image/svg+xml;base64,{data}"><img src="data:image/svg+xml;base64,{data}">'
    linked = link_figures(html, lambda text: "../../assets/figures/f.svg" if text == svg else None)
    assert linked.count('src="../../assets/figures/f.svg"') == 2
    assert link_figures(html, lambda text: None) == html
