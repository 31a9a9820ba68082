"""The MkDocs plugin: the one module of the tool that knows MkDocs, and all of its MkDocs wiring.

For each build it tangles the package (while serving) or checks it, executes the chapter pages of
the edition being built, hands figures, notebooks and the wheel to MkDocs as files, weaves the
outputs into each chapter's Markdown, joins Chinese lines, and has the pages' math typeset and
their ```dot diagrams drawn (`page_rendering`; it registers the `dot` fence with
pymdownx.superfences itself). Every failure becomes MkDocs' PluginError naming file and line.
Its state lives on the plugin instance, one per build. Everything else in `literate` works
without MkDocs.
"""

from __future__ import annotations

import functools
import logging
import os
import posixpath
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from literate.adapter.options import LiterateConfig, make_executor
from literate.adapter.page_cache import RenderedPages
from literate.adapter.page_rendering import PageRendering
from literate.adapter.search_cache import IndexedPages
from literate.adapter.template_cache import CompiledTemplates, reuse_notebook_templates
from literate.adapter.watch import ChangeObserver, OwnWrites, PollingObserver, Saves
from literate.cache import Cache, drop_unreadable_json, environment_digest, evict_caches, mark_used
from literate.export.notebook import SetupTexts, export_notebook, site_resolver
from literate.export.page_notebook import for_page
from literate.export.wheel import project_wheel
from literate.project import Project
from literate.render.cjk import is_cjk_language, join_cjk_lines
from literate.render.weave import WeaveError, fenced, weave
from literate.run.ahead import RunAhead
from literate.run.execute import ChapterFailure, ChapterRun, ExecutionError, execution_lock
from literate.run.outputs import Figure, Truncated
from literate.run.pool import KeptServer
from literate.source import tangle
from literate.source.blocks import Chapter, ChapterError, title_end
from literate.source.translation import differences

log = logging.getLogger("mkdocs.plugins.literate")

# What turns an executed notebook into its page: their versions name mkdocs-jupyter's cache folder.
NOTEBOOK_PAGE_RENDERERS = ("mkdocs-jupyter", "nbconvert", "nbformat", "jupyterlab-pygments", "pygments", "mistune")


class LiteratePlugin(BasePlugin[LiterateConfig]):
    # MkDocs keeps a plugin that has `on_startup` from one rebuild of `mkdocs serve` to the
    # next: its state below lasts as long as the serve (the kept execution server), or is reset
    # by each build (the rest).
    def __init__(self) -> None:
        self.command = "build"
        self.kept_server: KeptServer | None = None  # while serving: the execution server, kept
        self.pages: RenderedPages | None = None  # while serving: pages converted by earlier rebuilds
        self.indexed: IndexedPages | None = None  # while serving: pages' search entries from earlier rebuilds
        self.templates: CompiledTemplates | None = None  # while serving: the theme's templates, compiled
        self.runs: dict[str, ChapterRun | ChapterFailure] = {}  # page src_uri -> its execution
        self.chapters: dict[Path, Chapter] = {}  # parsed once per build
        self.rendering: PageRendering | None = None
        self.wheel_url: str | None = None
        self.package_written = OwnWrites()  # while serving: the modules tangled, as written
        self.ahead: RunAhead | None = None  # while serving: runs a saved chapter's code at once
        self.ahead_since: float | None = None  # when the run ahead of the coming rebuild started
        self.tangling = threading.Lock()

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.command = command
        if command == "serve":
            # torch and matplotlib are imported once per serve, not once per rebuild.
            self.kept_server = KeptServer()
            self.pages = RenderedPages(self.config.figures_dir)
            self.indexed = IndexedPages()
            self.templates = CompiledTemplates()
            _shut_down_on_termination()

    def on_shutdown(self) -> None:
        """The serve ends (Ctrl-C, SIGTERM): its execution server and chapters end with it."""
        if self.kept_server is not None:
            self.kept_server.close()  # first: a run ahead still going then fails at once
        if self.ahead is not None:
            self.ahead.close()

    def on_serve(
        self, server: LiveReloadServer, *, config: MkDocsConfig, builder: Callable[..., Any]
    ) -> LiveReloadServer:
        """An edit reaches the rebuild sooner, and the rebuild's own writes start no other.

        MkDocs polls the watched files every 0.5 s; the system's change notifications (inotify
        on Linux) report an edit at once, a quarter of a second sooner on average. The paths
        MkDocs (and any plugin before this one) watches move to watchdog's native observer;
        paths watched later are added to it. LITERATE_WATCH=poll keeps MkDocs' polling, for file
        systems that send no notifications (some network and container mounts). Either way a
        change that is the package this plugin tangled (`package_written`) is not an edit:
        MkDocs would otherwise build again after every rebuild that tangled."""
        # MkDocs waits for 0.1 s without further changes before it builds; an editor's save (write,
        # rename) is over within milliseconds.
        server.build_delay = 0.05
        if os.environ.get("LITERATE_WATCH") == "poll":
            observer: ChangeObserver | PollingObserver = PollingObserver(
                self.package_written, timeout=server.observer.timeout
            )
        else:
            observer = ChangeObserver(self.package_written)
        watched: dict[str, tuple[bool, int]] = {}  # path -> (recursive, how many times watched)
        for emitter in list(server.observer.emitters):
            path, times = str(emitter.watch.raw_path), 0  # a file's watch is on its folder: `path` names that
            while any(str(e.watch.raw_path) == path for e in server.observer.emitters):
                server.unwatch(path)
                times += 1
            watched[path] = (emitter.watch.is_recursive, times)
        server.observer = observer
        for path, (recursive, times) in watched.items():
            for _ in range(times):
                server.watch(path, recursive=recursive)
        if self.config.execute:
            self.ahead = RunAhead(self._run_ahead, expected=(ChapterError, tangle.TangleError, ExecutionError))
            saves = Saves(self.ahead.saved, polled=isinstance(observer, PollingObserver))
            observer.schedule(saves, str(self.chapters_dir.resolve()))  # the pages this serve rebuilds
        return server

    def _run_ahead(self, saved: set[Path]) -> None:
        """What the coming rebuild will run, started at the save (`literate.run.ahead`): unless
        the saved chapters' code is the code the last build ran, tangle and run what the cache
        lacks. The rebuild then reads it from the cache, or waits on the cache's lock."""
        saved = {_as_chapter(path) for path in saved}
        if all(self._same_code(path) for path in saved):
            return
        self.ahead_since = time.time()
        sources = self.project.source_chapters()
        self._tangle(sources)
        by_path = {c.path: c for c in sources}
        chapters = []
        for file in sorted(self.chapters_dir.glob("*.md")):
            path = _as_chapter(file)
            if path not in by_path:
                by_path[path] = self.project.parse(path)
                self._check_translation(by_path[path], by_path)
            chapters.append(by_path[path])
        started = time.perf_counter()
        executed = make_executor(self.project, self.config, self.kept_server).fill_cache(chapters, keep_going=True)
        for run in executed:
            log.info("literate: executed %s in %.1f s", run.chapter.name, run.seconds)
        if executed:  # what an edit must wait for at least (benchmarks/loop.py reads it)
            log.info("literate: execution took %.2f s (started at the save)", time.perf_counter() - started)

    def _same_code(self, path: Path) -> bool:
        """Whether the chapter at `path` holds the code (and front matter) the last build parsed."""
        before = self.chapters.get(path)
        if before is None:
            return False
        try:
            now = self.project.parse(path)
        except (OSError, ChapterError):
            return False
        return _code(now) == _code(before)

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.project = Project.load(Path(str(config.config_file_path)).parent)
        self.cache_dir = self.project.root / self.config.cache_dir
        docs_dir = Path(config.docs_dir).resolve()
        self.chapters_dir = (docs_dir / self.config.chapters) if self.config.chapters else self.project.chapters
        self._close_rendering()  # `mkdocs serve` configures again for every rebuild
        self.rendering = PageRendering(self.project.root, self.cache_dir)
        self._register_dot_fence(config, self.rendering)
        self._place_jupyter_cache(config)
        if "mkdocs-jupyter" in config.plugins:  # its notebook pages: nbconvert's templates compiled once
            reuse_notebook_templates()
        if self.pages is not None:
            self.pages.configured(config)
        return config

    @staticmethod
    def _register_dot_fence(config: MkDocsConfig, rendering: PageRendering) -> None:
        """```dot blocks become diagrams: a pymdownx.superfences custom fence, set here rather than
        named in mkdocs.yml, so that it draws with this build's renderer and caches."""
        if "pymdownx.superfences" not in config.markdown_extensions:
            raise PluginError("literate draws ```dot blocks as a pymdownx.superfences fence: add that extension")
        fences = config.mdx_configs.setdefault("pymdownx.superfences", {}).setdefault("custom_fences", [])
        fences[:] = [f for f in fences if f.get("name") != "dot"]
        fences.append({"name": "dot", "class": "literate-diagram", "format": rendering.fence})

    def _place_jupyter_cache(self, config: MkDocsConfig) -> None:
        """mkdocs-jupyter's cache goes under this plugin's `cache_dir`, one folder per config file
        (each build deletes the entries it did not use), not under the working directory.

        Its key covers the notebook and the plugin's options, not the versions that render it:
        the folder is named by the lock file and the installed converters, so an upgrade renders
        every notebook page again. Its entries are written unchecked: one cut short is removed
        here (a miss, rendered again) rather than failing this build and every later one."""
        jupyter = config.plugins.get("mkdocs-jupyter")
        if jupyter is not None and "cache_dir" in jupyter.config:
            edition = Path(str(config.config_file_path)).stem
            versions = environment_digest(self.project.lock, NOTEBOOK_PAGE_RENDERERS)
            folder = self.cache_dir / "mkdocs-jupyter" / f"{edition}-{versions}"
            for entry in drop_unreadable_json(folder, ("content", "toc_tokens")):
                # Info, not a warning: repaired here, it must not fail a strict build.
                log.info("literate: removed a damaged notebook page cache entry, rendered again: %s", entry)
            jupyter.config["cache_dir"] = str(folder)
            mark_used(folder)  # in use: kept by eviction, which removes the folders of older versions

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        try:
            self.chapters = {c.path: c for c in self.project.source_chapters()}
            sources = list(self.chapters.values())
            if self.command == "serve":  # an author editing a chapter sees the package follow
                self._tangle(sources)
            elif diff := tangle.check(self.project, sources):
                raise PluginError(f"the package is out of step with the chapters:\n{diff}")
        except (tangle.TangleError, ChapterError, ExecutionError) as exc:
            raise PluginError(str(exc)) from None

    def _tangle(self, sources: list[Chapter]) -> None:
        """Write the package the chapters define, if it differs, under the execution lock: never
        while chapters run (a rebuild's, or a run ahead's) against the package it replaces. The
        run ahead and the rebuild tangle one after the other: a rebuild that finds the package
        written already goes on without waiting for the chapters running meanwhile."""
        with self.tangling:
            if not tangle.changes(self.project, sources):
                return
            with execution_lock(self.cache_dir):
                changed = tangle.changes(self.project, sources)
                self.package_written.record(changed)  # before the writes: the watcher may see them at once
                tangle.apply(self.project, changed)
        for path in changed:
            log.info("literate: tangled %s", self.project.relative(path))

    def _chapter(self, file: File) -> Chapter | None:
        """The parsed chapter behind a page of this edition's chapters folder, else None."""
        if not (file.is_documentation_page() and file.inclusion.is_included() and file.abs_src_path):
            return None
        path = _as_chapter(Path(file.abs_src_path))
        if path.parent != self.chapters_dir.resolve():
            return None
        if path not in self.chapters:
            chapter = self.project.parse(path)
            self._check_translation(chapter, self.chapters)
            self.chapters[path] = chapter
        return self.chapters[path]

    def _check_translation(self, chapter: Chapter, parsed: dict[Path, Chapter]) -> None:
        """A chapter of another edition must carry its source chapter's code, or the pages would
        differ. `parsed`: the chapters parsed so far, by path."""
        source = self.project.chapters / chapter.path.name
        if not source.is_file():
            raise ChapterError(
                f"{chapter.name}:1: no source chapter {self.project.relative(source)}: an edition translates "
                "the source chapters, file for file"
            )
        problems = differences(parsed.get(source.resolve()) or self.project.parse(source), chapter)
        if problems:
            raise ChapterError(
                "\n".join(problems)
                + "\nA translation changes only the prose: copy the code blocks from the source chapter."
            )

    # Before mkdocs-jupyter's on_files (priority 0), so the notebooks added here are rendered as pages.
    @event_priority(50)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        self.runs = {}
        self.wheel_url = self._wheel_file(files, config) if self.config.wheel else None
        if not self.config.execute:
            return files
        executor = make_executor(self.project, self.config, self.kept_server)
        # A failure the run ahead of this rebuild met is shown, not run again.
        executor.failures_since, self.ahead_since = self.ahead_since, None
        # While serving, a failing chapter shows its error on its page and the rest of the site
        # is built; MkDocs' server would otherwise hold every request until the error is fixed.
        keep_going = self.command == "serve"
        try:
            pages = [(file, chapter) for file in files if (chapter := self._chapter(file)) is not None]
            started = time.perf_counter()
            runs = executor.run_all([chapter for _, chapter in pages], keep_going)
            took = time.perf_counter() - started
        except (ExecutionError, ChapterError) as exc:
            raise PluginError(str(exc)) from None
        for (file, chapter), run in zip(pages, runs, strict=True):
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
        log.info("literate: %d chapter(s) executed, %d from the cache", len(executor.executed), len(executor.cached))
        if executor.executed:  # what an edit must wait for at least (benchmarks/loop.py reads it)
            log.info("literate: execution took %.2f s", took)
        return files

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        if self.pages is not None:  # the files and the nav are final: the pages' keys can be made
            self.pages.begin(config, files)
        return nav

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        if self.indexed is not None:  # every plugin is configured: the search index for this build exists
            self.indexed.attach(config)
        if self.templates is not None:
            env.bytecode_cache = self.templates
        return env

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page:
        if self.pages is not None:
            self.pages.wrap(page)
        return page

    @staticmethod
    def _warn_truncated(run: ChapterRun) -> None:
        for block, outputs in zip(run.chapter.python_blocks, run.outputs, strict=True):
            for output in outputs:
                if isinstance(output, Truncated):
                    log.warning(
                        "literate: %s:%d: %s (`output_limit` in the plugin's config)",
                        run.chapter.name,
                        block.line,
                        output.describe(),
                    )

    def _figure_uri(self, svg: str) -> str:
        """The one place a figure's site path is made: named by its content (see `Figure.digest`)."""
        return f"{self.config.figures_dir}/{Figure(svg, alt='').digest}.svg"

    def _add_figures(self, run: ChapterRun, files: Files, config: MkDocsConfig) -> None:
        """Each figure becomes a site file named by its content, so it is served, cached and shared."""
        for block in run.outputs:
            for output in block:
                if isinstance(output, Figure) and files.get_file_from_path(self._figure_uri(output.svg)) is None:
                    files.append(File.generated(config, self._figure_uri(output.svg), content=output.svg))

    def _add_notebooks(self, file: File, run: ChapterRun, files: Files, config: MkDocsConfig) -> None:
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
            join_lines=is_cjk_language(config.theme.get("language")),  # as on the pages
        )
        name = posixpath.basename(file.src_uri)[: -len(".md")] + ".ipynb"
        uris = (f"notebooks/{name}", f"downloads/{name}")
        # The page's copy marks escaped dollars, which nbconvert would render as math delimiters.
        folder = Cache(self.cache_dir / "files").files({uris[0]: for_page(notebook), uris[1]: notebook})
        for uri in uris:
            # A real file in a folder of its own (MkDocs' File with a src_dir): mkdocs-jupyter
            # renders only notebooks it can read from their folder, not File.generated ones.
            files.append(File(uri, str(folder), config.site_dir, config.use_directory_urls))

    def _wheel_file(self, files: Files, config: MkDocsConfig) -> str | None:
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

    def _notebook_links(self, markdown: str, page: Page) -> str:
        name = posixpath.basename(page.file.src_uri)[: -len(".md")] + ".ipynb"
        page_dir = posixpath.dirname(page.file.src_uri) or "."
        texts = self.config.notebook_links
        links = (
            f"[{texts.download}]({posixpath.relpath('downloads/' + name, page_dir)})"
            "{ .literate-notebook download }"
            f" · [{texts.view}]({posixpath.relpath('notebooks/' + name, page_dir)})"
        )
        lines = markdown.split("\n")
        at = _title_end(markdown)
        lines[at:at] = ["", links, ""]
        return "\n".join(lines)

    # First of the page-Markdown steps: the outputs go in where the chapter's blocks are.
    @event_priority(100)
    def _weave_outputs(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
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
            markdown = weave(
                run.chapter, markdown, run.outputs, lambda f: posixpath.relpath(self._figure_uri(f.svg), page_dir)
            )
        except WeaveError as exc:
            raise PluginError(str(exc)) from None
        return self._notebook_links(markdown, page) if self.config.notebooks else markdown

    # Last, after every other plugin's: the Markdown as it will be converted.
    @event_priority(-100)
    def _join_lines(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """On pages in a CJK language, a line break between two CJK characters would render as a
        space: it is removed. Also notes the page whose ```dot fences are converted next."""
        if self.rendering is not None:
            self.rendering.page = page
        return join_cjk_lines(markdown) if is_cjk_language(config.theme.get("language")) else markdown

    on_page_markdown = CombinedEvent(_weave_outputs, _join_lines)

    # After every other plugin's, mkdocs-jupyter's rendering of a notebook page included.
    @event_priority(-100)
    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        assert self.rendering is not None, "on_config made it"
        page_dir = posixpath.dirname(page.file.dest_uri)

        def figure_link(svg: str) -> str | None:
            file = files.get_file_from_path(self._figure_uri(svg))
            return None if file is None else posixpath.relpath(file.dest_uri, page_dir)

        rendering = self.rendering
        if self.pages is None:
            return rendering.content(html, page, figure_link)
        return self.pages.content(html, page, lambda link: rendering.content(html, page, link), figure_link)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._close_rendering()
        if self.pages is not None:
            log.info(
                "literate: %d page(s) converted, %d unchanged since the last rebuild",
                self.pages.misses,
                self.pages.hits,
            )
            self.pages.end()
        if self.indexed is not None:
            log.info("literate: %d page(s) indexed for search, %d unchanged", self.indexed.misses, self.indexed.hits)
            self.indexed.end()
        evict_caches(self.cache_dir, self.config.cache_days)  # mkdocs-jupyter's folders too: each build marks its own

    def on_build_error(self, *, error: Exception) -> None:
        self._close_rendering()
        if self.pages is not None:
            self.pages.end()
        if self.indexed is not None:
            self.indexed.end()

    def _close_rendering(self) -> None:
        if self.rendering is not None:
            self.rendering.close()


def _as_chapter(path: Path) -> Path:
    """A chapter's path as this plugin keys it: the folder resolved, the file itself not. A chapter
    that is a symbolic link (an untranslated placeholder pointing at its source) is still a
    chapter of this edition, built as the file it points to, with its outputs and notebooks.
    Resolving the link would find it in another folder and publish it as a plain page."""
    return path.parent.resolve() / path.name


def _code(chapter: Chapter) -> tuple[object, ...]:
    """What of a chapter its runs and the package depend on: its front matter and Python blocks."""
    return (dict(chapter.meta), [(block.code, block.options) for block in chapter.python_blocks])


# Parsing a chapter for its title line takes a while: each rebuild of a serve asks again for the same text.
_title_end = functools.lru_cache(maxsize=256)(title_end)


def _shut_down_on_termination() -> None:
    """SIGTERM and SIGHUP end `mkdocs serve` as Ctrl-C does: MkDocs then shuts the server down
    and calls `on_shutdown`, which ends the execution server. (Their default action ends the
    process at once, leaving the server to finish its chapters on its own.) A handler someone
    else installed is left alone."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, interrupt)


def failure_notice(message: str) -> str:
    """An error box for the top of a chapter page that did not run (while serving)."""
    return (
        '!!! failure "This chapter failed to run: no outputs are shown"\n\n'
        + "\n".join("    " + line for line in fenced(message, ".literate-error").split("\n"))
        + "\n\n"
    )
