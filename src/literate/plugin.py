"""The MkDocs plugin: execute the chapters and put their outputs and figures into the pages."""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
from pathlib import Path
from urllib.parse import urljoin

from mkdocs.config import base
from mkdocs.config import config_options as opt
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files

from . import tangle
from .atomic import write_atomic
from .cjk import is_cjk_language
from .execute import DEFAULT_TIMEOUT, ChapterRun, ExecutionError, Executor, evict_unused
from .notebook import chapter_notebook, dumps
from .project import Project
from .standalone import package_cells, site_resolver, standalone
from .weave import weave
from .wheel import project_wheel

log = logging.getLogger("mkdocs.plugins.literate")


class LiterateConfig(base.Config):
    execute = opt.Type(bool, default=True)  # env LITERATE_EXECUTE=0 turns it off
    timeout = opt.Type((int, float), default=DEFAULT_TIMEOUT)  # seconds per chapter; env LITERATE_TIMEOUT
    cache_dir = opt.Type(str, default=".cache/literate")
    figures_dir = opt.Type(str, default="assets/figures")
    notebooks = opt.Type(bool, default=True)  # export each chapter as an executed .ipynb
    wheel = opt.Type(bool, default=True)  # serve the tangled package as downloads/<name>-<version>-py3-none-any.whl
    # Link text above each chapter, by the page's language suffix (`name.en.md` -> "en").
    notebook_text = opt.Type(
        dict,
        default={
            "default": "下载本章的 Jupyter 笔记本（含运行结果）",
            "en": "Download this chapter as a Jupyter notebook (with its outputs)",
        },
    )
    notebook_view_text = opt.Type(dict, default={"default": "在线查看", "en": "view it online"})


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
        return included and file.is_documentation_page() and path.parent == self.project.chapters.resolve()

    # After the plugins that rebuild the file collection (an i18n plugin runs at -100 and keeps
    # only the current language's pages): chapters are then the pages of the edition being
    # built, and the figure files added here are not dropped or mistaken for sources.
    @event_priority(-110)
    def on_files(self, files: Files, *, config):
        self.runs = {}
        self.wheel_url = self._wheel_file(files, config) if self.config.wheel else None
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
        source = Path(file.abs_src_path).read_text(encoding="utf-8")
        notebook = dumps(self._standalone(chapter_notebook(source, run.outputs), source, file, files, config))
        # Cached under the source file's name, so `name.en.md` (which an i18n plugin serves as
        # `name.md`) gets its own; shown under one name in every edition (`name.ipynb`), in the
        # folder the plugin built the chapter's page into (en/...), beside the edition's pages.
        name = Path(file.abs_src_path).name[: -len(".md")] + ".ipynb"
        public, edition = name.split(".", 1)[0] + ".ipynb", self._edition_folder(file)
        root = self.cache_dir / "files"
        for folder in ("notebooks", "downloads"):
            path = root / folder / name
            if not path.exists() or path.read_text(encoding="utf-8") != notebook:
                write_atomic(path, notebook)
            new = File(f"{folder}/{name}", str(root), config.site_dir, config.use_directory_urls)
            shown = File(f"{folder}/{public}", str(root), config.site_dir, config.use_directory_urls)
            if folder == "notebooks":
                # Rendered as a page by mkdocs-jupyter, whose own on_files has already run.
                from mkdocs_jupyter.plugin import NotebookFile

                options = dict(use_directory_urls=config.use_directory_urls, site_dir=config.site_dir)
                new, shown = NotebookFile(new, **options), NotebookFile(shown, **options)
            new.dest_uri = edition + shown.dest_uri
            new.abs_dest_path = os.path.normpath(os.path.join(config.site_dir, new.dest_uri))
            new.url = new._get_url(config.use_directory_urls)
            files.append(new)
        run.notebook = name

    def _wheel_file(self, files: Files, config) -> str | None:
        """Add the tangled package as a wheel to the site's downloads; return its URL if `site_url` is set."""
        if not (self.project.package_dir / "__init__.py").exists():
            return None  # a book that saves no code has no package
        try:
            wheel = project_wheel(self.project, home_page=config.site_url)
        except ValueError as exc:
            raise PluginError(str(exc)) from None
        uri = f"downloads/{wheel.filename}"
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, content=wheel.data))
        return urljoin(config.site_url, uri) if config.site_url else None

    def _standalone(self, notebook: dict, source: str, file: File, files: Files, config) -> dict:
        """The notebook made to run and read well once downloaded: see standalone.py."""
        stem = Path(file.abs_src_path).name[: -len(".md")]  # `name.en.md`, or an edition's own theme language
        language = stem.split(".", 1)[1] if "." in stem else str(config.theme.get("language") or "default")
        project = self.project
        prelude = package_cells(source, project.package, project.package_dir, language, self.wheel_url)

        def url_of(uri: str) -> str | None:
            target = files.get_file_from_path(uri)
            return target.url if target else None

        join_lines = is_cjk_language(config.theme.get("language"))  # as hooks/cjk.py does on the pages
        return standalone(notebook, prelude, site_resolver(config.site_url, file.src_uri, url_of), join_lines)

    @staticmethod
    def _edition_folder(file: File) -> str:
        """The folder a plugin such as i18n built this page's edition into ("en/" for
        `chapters/x.en.md` built to `en/chapters/x/`): what precedes its source folder in its destination."""
        source_dir = posixpath.dirname(file.src_uri)
        at = f"/{file.dest_uri}".find(f"/{source_dir}/") if source_dir else -1
        return file.dest_uri[:at] if at > 0 else ""

    def _notebook_links(self, markdown: str, page, run: ChapterRun) -> str:
        name = run.notebook
        if name is None:
            return markdown
        stem = Path(page.file.abs_src_path).name[: -len(".md")]
        language = stem.split(".", 1)[1] if "." in stem else "default"
        texts = self.config.notebook_text, self.config.notebook_view_text
        download, view = (t.get(language, t.get("default", "")) for t in texts)
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

    # Before mkdocs-jupyter's own on_post_build, which deletes every rendered-notebook cache entry
    # the current build did not use. With two editions built one after the other, each would
    # delete the other's entries and every notebook would be rendered anew on every build
    # (about 0.7 s each). Its entries are keyed by the notebook's bytes, so keeping them is
    # safe; entries unused for 30 days are evicted here instead, like the execution cache.
    @event_priority(10)
    def on_post_build(self, *, config):
        evict_unused(self.cache_dir)
        jupyter = config.plugins.get("mkdocs-jupyter")
        used = getattr(jupyter, "_used_cache_paths", None)
        if jupyter is None or used is None or not jupyter.config.get("cache"):
            return
        for entry in used:  # what this build used counts as fresh
            if Path(entry).exists():
                os.utime(entry)
        folder = Path(jupyter.config["cache_dir"])
        evict_unused(folder)
        used.update(folder.glob("*.json"))

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
