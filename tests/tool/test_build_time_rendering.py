"""Math, diagrams and notebook pages made when the site is built (literate.render.typeset, .diagram,
.node_renderer, .slim_css, .figure_links), without MkDocs."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from literate.render.diagram import DiagramError, Diagrams
from literate.render.figure_links import link_figures
from literate.render.node_renderer import NodeRenderer
from literate.render.slim_css import slim_styles
from literate.render.typeset import MathError, Typesetter

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
needs_node = pytest.mark.skipif(
    shutil.which("node") is None
    or not (NODE_MODULES / "katex").is_dir()
    or not (NODE_MODULES / "@viz-js/viz").is_dir(),
    reason="needs Node and `npm ci` (KaTeX, @viz-js/viz)",
)

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


@pytest.fixture
def renderer():
    node = NodeRenderer(NODE_MODULES)
    yield node
    node.close()


@needs_node
def test_chapter_and_notebook_math_is_typeset_with_mathml(tmp_path, renderer):
    typesetter = Typesetter(tmp_path / "math", renderer)
    chapter = typesetter.page(CHAPTER)
    notebook = typesetter.page(NOTEBOOK)
    assert chapter.count('class="katex"') == 2 and "<math" in chapter
    assert "\\(" not in chapter and "\\[" not in chapter  # the delimiters are gone (the TeX stays as an annotation)
    assert re.search(r"<mtext>学习率\s*</mtext>", chapter)  # Chinese inside \text{}
    assert "ℓ" in chapter and "&lt;" in chapter  # the entity was TeX's `<`, typeset
    # \mathbf{w} as the bold letter itself: MathML Core ignores mathvariant="bold"
    assert "<mi>\U0001d430</mi>" in chapter and 'mathvariant="bold"' not in chapter
    assert "katex-html" not in chapter + notebook  # MathML only: no second, HTML rendering
    assert "<code>price = $5 and $6</code>" in chapter
    assert notebook.count('class="katex"') == 2 and notebook.count('display="block"') == 1
    assert "<code>$HOME</code>" in notebook and "<pre>$ not math $</pre>" in notebook
    assert typesetter.rendered == 4


@needs_node
def test_a_warm_cache_starts_no_node(tmp_path, renderer):
    first = Typesetter(tmp_path / "math", renderer)
    expected = first.page(CHAPTER)
    figure = Diagrams(tmp_path / "diagrams", renderer).draw(DIAGRAM)
    no_node = NodeRenderer(NODE_MODULES, node="no-such-node-binary")
    warm = Typesetter(tmp_path / "math", no_node)
    assert warm.page(CHAPTER) == expected and warm.rendered == 0
    assert Diagrams(tmp_path / "diagrams", no_node).draw(DIAGRAM) == figure
    assert no_node.process is None


@needs_node
def test_bad_tex_names_the_formula(tmp_path, renderer):
    typesetter = Typesetter(tmp_path / "math", renderer)
    with pytest.raises(MathError, match=r"\\frac\{1") as error:
        typesetter.page('<span class="arithmatex">\\(\\frac{1\\)</span> <span class="arithmatex">\\(x\\)</span>')
    assert error.value.formulas == ("\\frac{1",)
    assert len(list((tmp_path / "math").rglob("*.html"))) == 1  # the good formula only


def test_no_katex_is_a_clear_error(tmp_path):
    with pytest.raises(MathError, match="npm ci"):
        Typesetter(tmp_path / "math", NodeRenderer(tmp_path / "nothing")).page(
            '<span class="arithmatex">\\(x\\)</span>'
        )


def test_no_graphviz_is_a_clear_error(tmp_path):
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules/katex").symlink_to(NODE_MODULES / "katex")  # KaTeX only
    with pytest.raises(DiagramError, match=r"@viz-js/viz/package\.json not found: run `npm ci`"):
        Diagrams(tmp_path / "diagrams", NodeRenderer(tmp_path / "node_modules")).draw(DIAGRAM)


def test_no_node_is_a_clear_error(tmp_path):
    renderer = NodeRenderer(NODE_MODULES, node="no-such-node-binary")
    with pytest.raises(DiagramError, match=r"`no-such-node-binary` not found: .* Node\.js 20 or newer"):
        Diagrams(tmp_path / "diagrams", renderer).draw(DIAGRAM)


@needs_node
def test_a_node_older_than_the_project_needs_is_refused_by_the_renderer(tmp_path):
    """The project's package.json says which Node it needs; the renderer's script checks it
    (for a build started without make, whose set-up checks it first)."""
    major = int(re.match(r"v(\d+)", subprocess.run(["node", "--version"], capture_output=True, text=True).stdout)[1])
    (tmp_path / "package.json").write_text(json.dumps({"engines": {"node": f">={major + 1}"}}))
    (tmp_path / "node_modules").symlink_to(NODE_MODULES)
    renderer = NodeRenderer(tmp_path / "node_modules")
    try:
        with pytest.raises(
            MathError,
            match=rf"exit code 3\): Node\.js {major}\.\S+ is too old: the site needs Node\.js {major + 1} or newer",
        ):
            Typesetter(tmp_path / "math", renderer).page('<span class="arithmatex">\\(x\\)</span>')
    finally:
        renderer.close()


DIAGRAM = 'digraph "循环" { node [fontname="sans-serif"]; edge [fontname="sans-serif"]; a [label=<数据<br/><font face="monospace">data_iter</font>>]; a -> b [label="下一个"] }'


@needs_node
def test_a_diagram_is_an_inline_svg_that_follows_the_scheme_and_the_page_fonts(tmp_path, renderer):
    diagrams = Diagrams(tmp_path, renderer)
    html = diagrams.fence(DIAGRAM)
    assert html.startswith('<div class="literate-diagram"><svg role="img" aria-label="循环"')
    assert 'stroke="currentColor"' in html and "black" not in html and 'fill="white"' not in html
    assert "下一个" in html and "数据" in html and "<title>" not in html
    # Laid out with Courier's and DejaVu Sans' metrics, drawn in the page's own families.
    assert 'font-family="monospace"' in html and 'font-family="sans-serif"' in html
    assert "Courier" not in html and "DejaVu" not in html and "Times" not in html
    assert len(list(tmp_path.rglob("*.svg"))) == 1 and diagrams.drawn == 1
    diagrams.draw(DIAGRAM.replace("a -> b", "a -> c"))
    assert len(list(tmp_path.rglob("*.svg"))) == 2  # a changed source is drawn again


@needs_node
def test_generic_families_are_laid_out_with_metrics_as_wide_as_their_common_fonts(tmp_path, renderer):
    """Graphviz in WebAssembly would size `monospace` and `sans-serif` text as Times (narrower):
    the boxes would be too small for the text the page draws in them."""

    def width(font: str, label: str = "outputs and figures on the page", quote: str = '"') -> float:
        svg = Diagrams(tmp_path, renderer).draw(
            f'digraph {{ a [shape=box fontname={quote}{font}{quote} label="{label}"] }}'
        )
        return float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+)', svg)[1])

    assert width("monospace") == width("monospace", quote="") == width("Courier") > width("Times") * 1.2
    assert width("sans-serif") == width("DejaVu Sans") > width("Helvetica") * 1.1
    # A CJK character (three bytes, each counted as a space) comes close to its real width of one em.
    assert width("sans-serif", "页面上的输出与图") > width("Times", "页面上的输出与图") * 1.2


@needs_node
def test_a_bad_diagram_names_graphviz_s_error_and_its_line(tmp_path, renderer):
    with pytest.raises(DiagramError, match="Graphviz cannot draw this diagram: syntax error in line 3") as error:
        Diagrams(tmp_path, renderer).draw("digraph {\n  a -> b\n  a -> }\n")
    assert error.value.line == 3
    assert not list(tmp_path.rglob("*.svg"))


def test_notebook_css_keeps_only_what_the_page_uses(tmp_path):
    css = (
        ".jupyter-wrapper{--jp-x:1;--jp-unread:url(data:a;b)}.jupyter-wrapper .jp-Cell{margin:0;color:var(--jp-x)}"
        ".jupyter-wrapper .lm-Menu{color:red}.jupyter-wrapper :root{--icon:url(x)}"
        "@keyframes spin{to{opacity:0}}@media print{.jupyter-wrapper .jp-Cell{margin:1px}.bp3-x{a:b}}"
        "[data-md-color-scheme=slate] .jupyter-wrapper{--jp-x:2;--jp-y:3}"
    )
    page = f'<style>{css}</style><div class="jupyter-wrapper"><div class="jp-Cell" style="top:var(--jp-y)"></div></div>'
    slim = slim_styles(page, tmp_path)
    assert ".jp-Cell{margin:0;color:var(--jp-x);}" in slim and "--jp-x:1;" in slim and "--jp-x:2;" in slim
    assert "--jp-unread" not in slim and "--jp-y:3;" in slim  # a variable is kept while the page reads it
    assert "lm-Menu" not in slim and ":root" not in slim and "keyframes" not in slim
    assert "@media print{.jupyter-wrapper .jp-Cell{margin:1px;}}" in slim
    assert slim_styles(page, tmp_path) == slim and len(list(tmp_path.glob("*.css"))) == 2  # rules, then variables


def test_notebook_figures_become_links():
    svg = "<svg>figure</svg>"
    data = base64.b64encode(svg.encode()).decode()
    html = f'<img alt="x" src="data:image/svg+xml;base64,{data}"><img src="data:image/svg+xml;base64,{data}">'
    linked = link_figures(html, lambda text: "../../assets/figures/f.svg" if text == svg else None)
    assert linked.count('src="../../assets/figures/f.svg"') == 2
    assert link_figures(html, lambda text: None) == html
