"""nbconvert's Jinja templates are compiled once per process, not once per notebook page (issue 27)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# In a process of its own: the change is to nbconvert's list of extensions, for the whole process.
CONVERT_THREE_TIMES = textwrap.dedent("""
    import sys
    import jinja2, nbformat
    from mkdocs_jupyter import convert
    from mkdocs_jupyter.plugin import get_nb_toc
    from literate.adapter.template_cache import reuse_notebook_templates

    compiled = []
    compile_template = jinja2.Environment.compile
    def counting(self, source, name=None, filename=None, *args, **kwargs):
        compiled.append(name)
        return compile_template(self, source, name, filename, *args, **kwargs)
    jinja2.Environment.compile = counting

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A page\\n\\nSome *prose*."),
        nbformat.v4.new_code_cell("print(1 + 1)", outputs=[nbformat.v4.new_output("stream", text="2\\n")]),
    ])
    path = sys.argv[1]
    nbformat.write(notebook, path)
    if sys.argv[2] == "reused":
        reuse_notebook_templates()
    for _ in range(3):  # as mkdocs-jupyter renders a page: the HTML, then Markdown for its contents
        before = len(compiled)
        html = convert.nb2html(path)
        get_nb_toc(path, 6)
        assert "Some <em>prose</em>" in html, html
        print(len(compiled) - before)
""")


def compilations(tmp_path, mode: str) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-c", CONVERT_THREE_TIMES, str(tmp_path / f"{mode}.ipynb"), mode],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [int(line) for line in result.stdout.split()]


def test_notebook_pages_after_the_first_compile_no_template(tmp_path):
    first, *later = compilations(tmp_path, "reused")
    assert first > 0 and later == [0, 0]
    # As nbconvert and mkdocs-jupyter do on their own: every page compiles every template again
    # (the page's two conversions share a few templates, which the first round already reuses).
    plain = compilations(tmp_path, "plain")
    assert plain[0] >= first and plain == [plain[0]] * 3
