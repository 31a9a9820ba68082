"""The MkDocs plugin: the one module of the tool that knows MkDocs.

It tangles before a build, executes the chapter pages of the edition being built, hands
figures and notebooks to MkDocs as files (`File.generated`), and weaves the outputs into
each chapter's Markdown. Everything else in `literate` works without MkDocs.
"""

from __future__ import annotations

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
from mkdocs.utils.yaml import yaml_load

from . import tangle
from .blocks import Chapter, ChapterError
from .cache import DEFAULT_KEEP_DAYS, Cache, evict_caches
from .cjk import is_cjk_language
from .execute import DEFAULT_OUTPUT_LIMIT, DEFAULT_TIMEOUT, ChapterFailure, ChapterRun, ExecutionError, Executor
from .notebook import SetupTexts, export_notebook, site_resolver
from .outputs import Figure, Truncated
from .project import Project
from .translation import differences
from .weave import WeaveError, fenced, weave
from .wheel import project_wheel

log = logging.getLogger("mkdocs.plugins.literate")


class NotebookLinks(base.Config):
    """The link line put under each chapter's title; the book's own words, in its language."""

    download = opt.Type(str, default="Download this chapter as a Jupyter notebook")
    view = opt.Type(str, default="view it online")


class NotebookSetup(base.Config):
    """The words before a downloaded notebook's package cell (see standalone.py), in the book's language."""

    explanation = opt.Type(
        str,
        default=(
            "**This notebook runs on its own once downloaded.** Its first code cell (folded in Jupyter, "
            "left out of the web page) defines the code that earlier chapters saved into the `{package}` "
            "package and that this chapter imports ({modules}), so it runs from top to bottom with "
            "nothing but {needs} installed. That cell is generated from the package's source, and each "
            "definition names the chapter line it came from."
        ),
    )
    install = opt.Type(str, default="Or install the package and delete that cell: `pip install {wheel_url}`")
    separator = opt.Type(str, default=", ")


class LiterateConfig(base.Config):
    execute = opt.Type(bool, default=True)
    timeout = opt.Type((int, float), default=DEFAULT_TIMEOUT)  # seconds per chapter
    workers = opt.Optional(opt.Type(int))  # chapters run side by side; default: the usable cores
    preload = opt.ListOfItems(opt.Type(str), default=[])  # modules imported once, before any chapter
    output_limit = opt.Type(int, default=DEFAULT_OUTPUT_LIMIT)  # characters kept per block
    cache_dir = opt.Type(str, default=".cache/literate")  # every cache of the build, relative to the project root
    cache_days = opt.Type((int, float), default=DEFAULT_KEEP_DAYS)  # a cache entry no build used for this long goes
    # This edition's chapter pages, relative to docs_dir. Default: the project's chapters folder.
    chapters = opt.Optional(opt.Type(str))
    figures_dir = opt.Type(str, default="assets/figures")
    notebooks = opt.Type(bool, default=True)  # export each chapter as an executed .ipynb
    notebook_links = opt.SubConfig(NotebookLinks)
    notebook_setup = opt.SubConfig(NotebookSetup)
    wheel = opt.Type(bool, default=True)  # serve the tangled package as downloads/<name>-<version>-py3-none-any.whl


def make_executor(project: Project, config: LiterateConfig) -> Executor:
    workers = config.workers or len(os.sched_getaffinity(0))
    return Executor(project, project.root / config.cache_dir, config.timeout, workers, config.preload, config.output_limit)


def plugin_options(config_file: Path) -> LiterateConfig:
    """This plugin's options in an MkDocs config file (`INHERIT` and `!ENV` resolved), validated.

    For `python -m literate execute`, which is there to start the chapters early: MkDocs' own
    `load_config` imports every plugin the file names (0.8 s here; this command starts in 0.25 s).
    """
    with open(config_file, encoding="utf-8") as stream:
        plugins = yaml_load(stream).get("plugins") or {}
    if isinstance(plugins, list):  # MkDocs also takes a list: names, or one-key mappings of options
        plugins = {k: v for item in plugins for k, v in (item.items() if isinstance(item, dict) else [(item, {})])}
    if "literate" not in plugins:
        raise PluginError(f"{config_file}: the `literate` plugin is not in its `plugins`")
    options = LiterateConfig(config_file_path=str(config_file))
    options.load_dict(plugins["literate"] or {})
    errors, _ = options.validate()
    if errors:
        raise PluginError(f"{config_file}: plugins.literate: " + "; ".join(f"{key}: {error}" for key, error in errors))
    return options


class LiteratePlugin(BasePlugin[LiterateConfig]):
    def __init__(self):
        self.command = "build"
        self.runs: dict[str, ChapterRun | ChapterFailure] = {}  # page src_uri -> its execution
        self.chapters: dict[Path, Chapter] = {}  # parsed once per build

    def on_startup(self, *, command, dirty):
        self.command = command

    def on_config(self, config):
        self.project = Project.load(Path(config.config_file_path).parent)
        self.cache_dir = self.project.root / self.config.cache_dir
        docs_dir = Path(config.docs_dir).resolve()
        self.chapters_dir = (docs_dir / self.config.chapters) if self.config.chapters else self.project.chapters
        return config

    def on_pre_build(self, *, config):
        try:
            self.chapters = {c.path: c for c in self.project.source_chapters()}
            sources = list(self.chapters.values())
            if self.command == "serve":  # an author editing a chapter sees the package follow
                for path in tangle.write(self.project, sources):
                    log.info("literate: tangled %s", self.project.relative(path))
            elif diff := tangle.check(self.project, sources):
                raise PluginError(f"the package is out of step with the chapters:\n{diff}")
        except (tangle.TangleError, ChapterError) as exc:
            raise PluginError(str(exc)) from None

    def _chapter(self, file: File) -> Chapter | None:
        """The parsed chapter behind a page of this edition's chapters folder, else None."""
        if not (file.is_documentation_page() and file.inclusion.is_included() and file.abs_src_path):
            return None
        path = Path(file.abs_src_path).resolve()
        if path.parent != self.chapters_dir.resolve():
            return None
        if path not in self.chapters:
            chapter = self.project.parse(path)
            self._check_translation(chapter)
            self.chapters[path] = chapter
        return self.chapters[path]

    def _check_translation(self, chapter: Chapter) -> None:
        """A chapter of another edition must carry its source chapter's code, or the pages would differ."""
        source = self.project.chapters / chapter.path.name
        if not source.is_file():
            raise ChapterError(
                f"{chapter.name}:1: no source chapter {self.project.relative(source)}: an edition translates "
                "the source chapters, file for file"
            )
        problems = differences(self.chapters.get(source.resolve()) or self.project.parse(source), chapter)
        if problems:
            raise ChapterError(
                "\n".join(problems) + "\nA translation changes only the prose: copy the code blocks from the source chapter."
            )

    # Before mkdocs-jupyter's on_files (priority 0), so the notebooks added here are rendered as pages.
    @event_priority(50)
    def on_files(self, files: Files, *, config):
        self.runs = {}
        self.wheel_url = self._wheel_file(files, config) if self.config.wheel else None
        if not self.config.execute:
            return files
        executor = make_executor(self.project, self.config)
        # While serving, a failing chapter shows its error on its page and the rest of the site
        # is built; MkDocs' server would otherwise hold every request until the error is fixed.
        keep_going = self.command == "serve"
        try:
            pages = [(file, chapter) for file in files if (chapter := self._chapter(file)) is not None]
            runs = executor.run_all([chapter for _, chapter in pages], keep_going)
        except (ExecutionError, ChapterError) as exc:
            raise PluginError(str(exc)) from None
        for (file, chapter), run in zip(pages, runs):
            self.runs[file.src_uri] = run
            if isinstance(run, ChapterFailure):
                log.info("literate: FAILED (shown on the page; a build fails on it): %s", run.message)
                continue
            if run.executed:
                log.info("literate: executed %s in %.1f s", chapter.name, run.seconds)
            self._warn_truncated(run)
            self._add_figures(run, files, config)
            if self.config.notebooks:
                self._add_notebooks(file, run, files, config)
        log.info(
            "literate: %d chapter(s) executed, %d from the cache", len(executor.executed), len(executor.cached)
        )
        return files

    @staticmethod
    def _warn_truncated(run: ChapterRun) -> None:
        for block, outputs in zip(run.chapter.python_blocks, run.outputs):
            for output in outputs:
                if isinstance(output, Truncated):
                    log.warning(
                        "literate: %s:%d: the block printed %d characters more than the output limit "
                        "(%d per block, `output_limit` in the plugin's config); the page shows the first ones",
                        run.chapter.name, block.line, output.dropped, output.limit,
                    )

    def _figure_uri(self, figure: Figure) -> str:
        return f"{self.config.figures_dir}/{figure.digest}.svg"

    def _add_figures(self, run: ChapterRun, files: Files, config) -> None:
        """Each figure becomes a site file named by its content, so it is served, cached and shared."""
        for block in run.outputs:
            for output in block:
                if isinstance(output, Figure) and files.get_file_from_path(self._figure_uri(output)) is None:
                    files.append(File.generated(config, self._figure_uri(output), content=output.svg))

    def _add_notebooks(self, file: File, run: ChapterRun, files: Files, config) -> None:
        """The chapter's executed notebook, twice: a page (rendered by mkdocs-jupyter) and a download.

        Both are real files in a folder named by the notebook's content, so editions and builds
        running at once never write the same file.
        """
        def url_of(uri: str) -> str | None:
            target = files.get_file_from_path(uri)
            return target.url if target else None

        notebook = export_notebook(
            run.chapter,
            run.outputs,
            self.project,
            SetupTexts(**self.config.notebook_setup),
            site_resolver(config.site_url, file.src_uri, url_of),
            wheel_url=self.wheel_url,
            join_lines=is_cjk_language(config.theme.get("language")),  # as hooks/cjk.py does on the pages
        )
        name = posixpath.basename(file.src_uri)[: -len(".md")] + ".ipynb"
        uris = (f"notebooks/{name}", f"downloads/{name}")
        folder = Cache(self.cache_dir / "files").files({uri: notebook for uri in uris})
        for uri in uris:
            # A real file in a folder of its own (MkDocs' File with a src_dir): mkdocs-jupyter
            # renders only notebooks it can read from their folder, not File.generated ones.
            files.append(File(uri, str(folder), config.site_dir, config.use_directory_urls))

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

    def _notebook_links(self, markdown: str, page) -> str:
        name = posixpath.basename(page.file.src_uri)[: -len(".md")] + ".ipynb"
        page_dir = posixpath.dirname(page.file.src_uri) or "."
        texts = self.config.notebook_links
        links = (
            f"[{texts.download}]({posixpath.relpath('downloads/' + name, page_dir)})"
            "{ .literate-notebook download }"
            f" · [{texts.view}]({posixpath.relpath('notebooks/' + name, page_dir)})"
        )
        lines = markdown.split("\n")
        at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
        lines[at:at] = ["", links, ""]
        return "\n".join(lines)

    def on_post_build(self, *, config):
        evict_caches(self.cache_dir, self.config.cache_days)

    # First of the page-Markdown steps: the outputs go in where the chapter's blocks are.
    @event_priority(100)
    def on_page_markdown(self, markdown, *, page, config, files):
        if posixpath.basename(posixpath.dirname(page.file.src_uri)) == "notebooks":
            # An exported notebook repeats its chapter: search should lead to the chapter.
            page.meta["search"] = {"exclude": True}
        run = self.runs.get(page.file.src_uri)
        if run is None:
            return markdown
        if isinstance(run, ChapterFailure):
            return failure_notice(run.message) + markdown
        page_dir = posixpath.dirname(page.file.src_uri) or "."
        try:
            markdown = weave(run.chapter, markdown, run.outputs, lambda f: posixpath.relpath(self._figure_uri(f), page_dir))
        except WeaveError as exc:
            raise PluginError(str(exc)) from None
        return self._notebook_links(markdown, page) if self.config.notebooks else markdown


def failure_notice(message: str) -> str:
    """An error box for the top of a chapter page that did not run (while serving)."""
    return (
        '!!! failure "This chapter failed to run: no outputs are shown"\n\n'
        + "\n".join("    " + line for line in fenced(message, ".literate-error").split("\n"))
        + "\n\n"
    )
