"""Stage 1, the source: read the chapters and tangle the package their `#@save` blocks define.

`blocks` parses a chapter into a frozen `Chapter` of fenced `Block`s with line numbers;
`imports` answers what code imports (tangle, the execution cache key and the notebooks ask it);
`collect` gathers the saved definitions into modules and refuses, with file and line, what
cannot be tangled; `tangle` writes or checks the package; `translation` checks that an edition's
chapter keeps its source chapter's code.
"""
