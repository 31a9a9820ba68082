"""The adapters, the only modules that know their host tools.

`mkdocs_plugin` is the one module that knows MkDocs: it runs every stage for a build (tangle or
check, execute, weave, render, export) and registers the ```dot fence; `options` holds its
configuration. `pytest_plugin` runs a chapter's chained doc tests once each.
"""
