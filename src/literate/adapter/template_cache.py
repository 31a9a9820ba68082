"""Jinja templates compiled once per process, not once per use (issue 27).

MkDocs makes a new Jinja environment for every build, so every rebuild of a serve compiles the
theme's templates again; nbconvert makes one for every notebook it converts, and mkdocs-jupyter
converts each notebook page twice (the page, then Markdown for its table of contents): about
nine templates compiled for each, half of a notebook page's conversion. Jinja's documented
bytecode cache keeps what it compiled, by template name and a checksum of the template's
source: an edited template (an override) is compiled anew.
"""

from __future__ import annotations

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from jinja2.ext import Extension


class CompiledTemplates(BytecodeCache):
    """Jinja's bytecode cache, in memory, for the life of the process."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])  # dropped by Jinja if the checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


NOTEBOOK_TEMPLATES = CompiledTemplates()  # nbconvert's, for every notebook converted in this process


class NotebookTemplates(Extension):
    """A Jinja extension that adds no syntax: it gives the environment loading it the process's
    cache of nbconvert's compiled templates."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        if environment.bytecode_cache is None:
            environment.bytecode_cache = NOTEBOOK_TEMPLATES


def reuse_notebook_templates() -> None:
    """Have every Jinja environment nbconvert makes from now on use `NOTEBOOK_TEMPLATES`.

    nbconvert takes no option for it, but it names the extensions each of its environments
    loads in a public list, `JINJA_EXTENSIONS`; this adds `NotebookTemplates` there, once."""
    from nbconvert.exporters import templateexporter

    name = f"{NotebookTemplates.__module__}.{NotebookTemplates.__qualname__}"
    if name not in templateexporter.JINJA_EXTENSIONS:
        templateexporter.JINJA_EXTENSIONS.append(name)
