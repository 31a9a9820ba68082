"""The MkDocs plugin: execute the chapters and put their outputs and figures into the pages."""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as opt
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files

from . import tangle
from .atomic import write_atomic
from .execute import DEFAULT_TIMEOUT, ChapterRun, ExecutionError, Executor, evict_unused
from .notebook import chapter_notebook, dumps
from .project import Project
from .weave import weave

log = logging.getLogger("mkdocs.plugins.literate")


class LiterateConfig(base.Config):
    execute = opt.Type(bool, default=True)  # env LITERATE_EXECUTE=0 turns it off
    timeout = opt.Type((int, float), default=DEFAULT_TIMEOUT)  # seconds per chapter; env LITERATE_TIMEOUT
    cache_dir = opt.Type(str, default=".cache/literate")
    figures_dir = opt.Type(str, default="assets/figures")
    notebooks = opt.Type(bool, default=True)  # export each chapter as an executed .ipynb
    # The folder of this edition's chapters, from the project root (default: `chapters` of
    # [tool.literate]); a translation built as its own MkDocs project names its own.
    chapters = opt.Optional(opt.Type(str))
    # Link texts above each chapter, in the edition's language (the book's mkdocs.yml sets them);
    # by default the notebook's file name and "HTML".
    notebook_text = opt.Optional(opt.Type(str))
    notebook_view_text = opt.Type(str, default="HTML")


class LiteratePlugin(BasePlugin[LiterateConfig]):
    def __init__(self):
        self.command = "build"
        self.runs: dict[str, ChapterRun] = {}

    def on_startup(self, *, command, dirty):
        self.command = command

    def on_config(self, config):
        self.project = Project.load(Path(config.config_file_path).parent)
        self.execute = os.environ.get("LITERATE_EXECUTE", "1" if self.config.execute else "0") != "0"
        self.timeout = float(os.environ.get("LITERATE_TIMEOUT", self.config.timeout))
        self.cache_dir = self.project.root / os.environ.get("LITERATE_CACHE_DIR", self.config.cache_dir)
        chapters = self.config.chapters
        self.chapters = (self.project.root / chapters).resolve() if chapters else self.project.chapters.resolve()
        return config

    def on_pre_build(self, *, config):
        try:
            if self.command == "serve":  # an author editing a chapter sees the package follow
                for path in tangle.write(self.project):
                    log.info("literate: tangled %s", self.project.relative(path))
            elif diff := tangle.check(self.project):
                raise PluginError(f"the package is out of step with the chapters:\n{diff}")
        except tangle.TangleError as exc:
            raise PluginError(str(exc)) from None

    def _is_chapter(self, file: File) -> bool:
        path = Path(file.abs_src_path or "")
        included = file.inclusion.is_included()  # not a page listed in `exclude_docs` or a draft
        return included and file.is_documentation_page() and path.parent == self.chapters

    # After the other plugins' on_files (mkdocs-jupyter's among them): the figure and notebook
    # files added here are then neither dropped nor mistaken for sources.
    @event_priority(-110)
    def on_files(self, files: Files, *, config):
        self.runs = {}
        if not self.execute:
            return files
        executor = Executor(self.project, self.cache_dir, self.timeout)
        try:
            for file in [f for f in files if self._is_chapter(f)]:
                run = executor.run(Path(file.abs_src_path))
                self.runs[file.src_uri] = run
                if run.executed:
                    log.info("literate: executed %s in %.1f s", run.path, run.seconds)
                run.outputs = [[self._figure_file(o, files, config) for o in block] for block in run.outputs]
                if self.config.notebooks:
                    self._notebook_files(file, run, files, config)
        except ExecutionError as exc:
            raise PluginError(str(exc)) from None
        finally:
            executor.close()
        log.info(
            "literate: %d chapter(s) executed, %d from the cache", len(executor.executed), len(executor.cached)
        )
        return files

    def _figure_file(self, output: dict, files: Files, config) -> dict:
        """Replace an inline SVG by a site file named after its content, so it is served, cached and shared."""
        svg = output.get("data", {}).get("image/svg+xml")
        if svg is None:
            return output
        digest = hashlib.sha256(svg.encode()).hexdigest()[:16]
        uri = f"{self.config.figures_dir}/{digest}.svg"
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=svg))
        return {**output, "src_uri": uri}

    def _notebook_files(self, file: File, run: ChapterRun, files: Files, config) -> None:
        """Write the chapter's executed notebook twice: a page rendered by mkdocs-jupyter, and a download."""
        notebook = dumps(chapter_notebook(Path(file.abs_src_path).read_text(encoding="utf-8"), run.outputs))
        name = Path(file.abs_src_path).stem + ".ipynb"
        # One folder per edition (its docs folder): editions built at once never share a file.
        root = self.cache_dir / "files" / Path(config.docs_dir).name
        for folder in ("notebooks", "downloads"):
            path = root / folder / name
            if not path.exists() or path.read_text(encoding="utf-8") != notebook:
                write_atomic(path, notebook)
            new = File(f"{folder}/{name}", str(root), config.site_dir, config.use_directory_urls)
            if folder == "notebooks":
                # Rendered as a page by mkdocs-jupyter, whose own on_files has already run.
                from mkdocs_jupyter.plugin import NotebookFile

                new = NotebookFile(new, use_directory_urls=config.use_directory_urls, site_dir=config.site_dir)
            files.append(new)
        run.notebook = name

    def _notebook_links(self, markdown: str, page, run: ChapterRun) -> str:
        name = run.notebook
        if name is None:
            return markdown
        download, view = self.config.notebook_text or name, self.config.notebook_view_text
        page_dir = posixpath.dirname(page.file.src_uri) or "."
        links = (
            f"[{download}]({posixpath.relpath('downloads/' + name, page_dir)})"
            "{ .literate-notebook download }"
            f" · [{view}]({posixpath.relpath('notebooks/' + name, page_dir)})"
        )
        lines = markdown.split("\n")
        at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
        lines[at:at] = ["", links, ""]
        return "\n".join(lines)

    def on_post_build(self, *, config):
        evict_unused(self.cache_dir)

    def on_page_markdown(self, markdown, *, page, config, files):
        if posixpath.basename(posixpath.dirname(page.file.src_uri)) == "notebooks":
            # An exported notebook repeats its chapter: search should lead to the chapter.
            page.meta["search"] = {"exclude": True}
        run = self.runs.get(page.file.src_uri)
        if run is None:
            return markdown
        markdown = self._notebook_links(markdown, page, run)
        page_dir = posixpath.dirname(page.file.src_uri)

        def image_link(output: dict) -> str:
            return posixpath.relpath(output["src_uri"], page_dir or ".")

        try:
            return weave(markdown, run.outputs, image_link, run.path)
        except ValueError as exc:
            raise PluginError(str(exc)) from None
