"""Stage 3, rendering: the pages a reader gets, with no script needed to read them.

`weave` puts each block's outputs under it in the page's Markdown; `cjk` joins Chinese lines;
`typeset` (KaTeX) and `diagram` (Graphviz in WebAssembly) draw the math and the ```dot blocks at
build time in one Node process (`node_renderer`, `node/`); `slim_css` and `figure_links` keep
the notebook pages light.
"""
