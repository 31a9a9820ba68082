"""While serving: a Markdown page whose inputs did not change since the last rebuild is not
converted again (issue 27).

MkDocs 1.6 rebuilds the whole edition on every change. Converting a page's Markdown to HTML
(Python-Markdown, its extensions, Pygments) is a function of the Markdown as the plugins left
it, the page's place in the site, every file's address (links are checked and rewritten
against them) and the configuration. `RenderedPages` keys each conversion by all of these and
hands back, on a hit, what `Page.render` would have set: the HTML, the table of contents, the
title, the anchors, and the log records the conversion wrote (a broken link warns on every
rebuild, as before). The plugin's own step after it (`PageRendering.content`) is kept the same
way, by its input HTML. Everything else, templates and the search index included, is built
anew. Entries live in memory, for one serve: the code that converts (the installed packages)
cannot change under them, and a config file that changes changes every key.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import TableOfContents


@dataclass
class Rendered:
    """What `Page.render` sets, kept for the next rebuild."""

    content: str
    toc: TableOfContents
    title: str | None
    anchors: set[str]
    links: dict[str, dict[str, str]] | None  # by the linked file's src_uri
    records: list[logging.LogRecord] = field(default_factory=list)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def config_files(config: MkDocsConfig) -> list[Path]:
    """The config file and the ones it inherits from (`INHERIT:`), which MkDocs merged into it."""
    found: list[Path] = []
    path = Path(str(config.config_file_path)) if config.config_file_path else None
    while path is not None and path.is_file() and path not in found:
        found.append(path)
        inherit = next(
            (
                line.split(":", 1)[1].strip()
                for line in path.read_text("utf-8").splitlines()
                if line.startswith("INHERIT:")
            ),
            None,
        )
        path = (path.parent / inherit).resolve() if inherit else None
    return found


def site_digest(config: MkDocsConfig, files: Files, figures: str) -> str:
    """What every page's conversion depends on beyond its own Markdown: the configuration (every
    byte of its files, so the extensions' options, the nav and the theme too) and every file's
    source path, address and inclusion (the links), except the figures (folder `figures`): they
    are named by their content, and a chapter whose figures vary from run to run would otherwise
    change every page's key. A page's key names the figures its Markdown mentions instead."""
    digest = hashlib.sha256(config_digest(config).encode())
    listing = sorted((f.src_uri, f.dest_uri, f.url, str(f.inclusion)) for f in files if not is_in(f.src_uri, figures))
    digest.update(json.dumps([config.docs_dir, config.use_directory_urls, listing]).encode())
    return digest.hexdigest()


def config_digest(config: MkDocsConfig) -> str:
    digest = hashlib.sha256()
    for path in config_files(config):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def is_in(uri: str, folder: str) -> bool:
    return uri.startswith(folder.rstrip("/") + "/")


@dataclass(frozen=True)
class Content:
    """The plugin's last step on a page's HTML, and the figure links it asked for (svg -> link)."""

    html: str
    links: tuple[tuple[str, str | None], ...]


class RenderedPages:
    """The conversions of one serve, by key; an entry no rebuild used is dropped after the next."""

    def __init__(self, figures: str) -> None:
        self.figures = figures.rstrip("/")  # the folder of the figure files, under docs
        self._mentions = re.compile(re.escape(self.figures) + r"/[^\s()\"'<>\]\[]+")
        self._present: set[str] = set()
        self.entries: dict[str, Rendered] = {}
        self.contents: dict[str, Content] = {}
        self._used: set[str] = set()
        self._site: str | None = None
        self._config: MkDocsConfig | None = None
        self._read = ""  # the config files' digest when the build read them
        self.hits = self.misses = 0

    def configured(self, config: MkDocsConfig) -> None:
        """A build has just read its config (MkDocs' `on_config`): the bytes it read, for `end`."""
        self._config, self._read = config, config_digest(config)

    def begin(self, config: MkDocsConfig, files: Files) -> None:
        """A build's pages are about to be converted (MkDocs' `on_nav`: files and nav are final)."""
        self._site = site_digest(config, files, self.figures)
        self._present = {f.src_uri for f in files if is_in(f.src_uri, self.figures)}
        self.hits = self.misses = 0

    def end(self) -> None:
        """The build ended: keep what it used, for the next; nothing if a config file changed
        while it ran (its pages were converted with the config as it was read, not as keyed)."""
        changed = self._config is not None and config_digest(self._config) != self._read
        self.entries = {k: v for k, v in self.entries.items() if k in self._used and not changed}
        self.contents = {k: v for k, v in self.contents.items() if k in self._used and not changed}
        self._used = set()
        self._site = None

    def _key(self, *parts: str) -> str:
        assert self._site is not None, "begin() comes first"
        return hashlib.sha256(json.dumps([self._site, *parts]).encode()).hexdigest()

    def wrap(self, page: Page) -> None:
        """Make `page.render` answer from the cache when its inputs are those of an earlier rebuild."""
        if self._site is None or not page.file.src_uri.endswith(".md"):
            return  # notebook pages are mkdocs-jupyter's (it caches them itself)
        convert = page.render

        def render(config: MkDocsConfig, files: Files) -> None:
            assert page.markdown is not None, "MkDocs read the page"
            mentioned = sorted(set(self._mentions.findall(page.markdown)))
            figures = json.dumps([(uri, uri in self._present) for uri in mentioned])
            key = self._key("page", page.file.src_uri, page.url, page.markdown, figures)
            self._used.add(key)
            entry = self.entries.get(key)
            if entry is None:
                self.misses += 1
                entry = self.entries[key] = self._convert(convert, page, config, files)
            else:
                self.hits += 1
                for record in entry.records:  # what converting it said, said again
                    logging.getLogger(record.name).handle(record)
            page.content = entry.content
            page.toc = copy.deepcopy(entry.toc)
            page.title = entry.title  # MkDocs' title is a property a plugin may set
            page.present_anchor_ids = set(entry.anchors)
            if entry.links is not None:
                page.links_to_anchors = {
                    target: dict(anchors)
                    for uri, anchors in entry.links.items()
                    if (target := files.get_file_from_path(uri)) is not None
                }

        page.render = render  # type: ignore[method-assign]

    @staticmethod
    def _convert(
        convert: Callable[[MkDocsConfig, Files], None], page: Page, config: MkDocsConfig, files: Files
    ) -> Rendered:
        collect = _Collect()
        logger = logging.getLogger("mkdocs")
        logger.addHandler(collect)
        try:
            convert(config, files)
        finally:
            logger.removeHandler(collect)
        links: dict[File, dict[str, str]] | None = page.links_to_anchors
        assert page.content is not None and page.toc is not None
        return Rendered(
            page.content,
            copy.deepcopy(page.toc),
            page.title,
            set(page.present_anchor_ids or ()),
            None if links is None else {f.src_uri: dict(a) for f, a in links.items()},
            collect.records,
        )

    def content(
        self,
        html: str,
        page: Page,
        make: Callable[[Callable[[str], str | None]], str],
        figure_link: Callable[[str], str | None],
    ) -> str:
        """The plugin's last step on a page's HTML, `make(figure_link)`, kept by that HTML and the
        page's place; taken only while every figure link it asked for still leads where it did."""
        if self._site is None:
            return make(figure_link)
        key = self._key("content", page.file.src_uri, page.file.dest_uri, html)
        self._used.add(key)
        kept = self.contents.get(key)
        if kept is not None and all(figure_link(svg) == link for svg, link in kept.links):
            return kept.html
        asked: dict[str, str | None] = {}

        def recorded(svg: str) -> str | None:
            asked[svg] = figure_link(svg)
            return asked[svg]

        self.contents[key] = Content(make(recorded), tuple(asked.items()))
        return self.contents[key].html
