"""literate: tangle, execute and weave Markdown chapters whose code is real.

The tool knows nothing about any particular book. A build flows through its sub-packages in
this order, each taking the frozen objects the one before made:

    source/   chapters (Markdown) -> Chapter, Block; #@save definitions -> the package on disk
    run/      Chapter -> the outputs of each block (cached; misses run in forked processes)
    render/   outputs -> the page's Markdown; math and diagrams -> HTML at build time
    export/   Chapter + outputs -> a downloadable notebook; the package -> a wheel
    adapter/  MkDocs (and pytest) calling the stages above: the only code that knows them

Beside them: `project` (where the chapters and package are, from pyproject.toml), `cache` (the
one cache policy every stage's cache follows), `atomic` and `processes` (writing files and
ending helper processes safely), and `__main__` (`python -m literate tangle|execute`).
"""
