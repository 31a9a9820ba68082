"""While serving: a page whose indexed parts did not change since the last rebuild is not parsed
for the search index again (issue 27).

Material's search plugin parses every page's HTML into the index's entries on every build, the
largest part of a rebuild once the pages themselves are kept (`page_cache`). An entry is a
function of what `SearchIndex.add_entry_from_context` reads: the page's HTML, table of contents,
address, title and front matter, and the index's own options; `IndexedPages` keys each page's
entries by all of these and adds, on a hit, the same entries. It wraps that method of the index
the search plugin made for this build (the plugin makes a new one for each), and only if the
index has the shape it knows (an `entries` list): otherwise the index is built as usual.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink

log = logging.getLogger("mkdocs.plugins.literate")


def _toc(items: list[AnchorLink]) -> list[Any]:
    return [[item.id, item.url, item.title, _toc(item.children)] for item in items]


class IndexedPages:
    """The search entries of each page, by key, for one serve; unused entries go after a build."""

    def __init__(self) -> None:
        self.entries: dict[str, list[dict[str, Any]]] = {}
        self._used: set[str] = set()
        self.hits = self.misses = 0

    def attach(self, config: MkDocsConfig) -> None:
        """Answer this build's search index from the entries of earlier rebuilds (MkDocs' `on_env`)."""
        self.hits = self.misses = 0
        plugin = config.plugins.get("material/search") or config.plugins.get("search")
        index = getattr(plugin, "search_index", None)
        entries = getattr(index, "entries", None)
        add = getattr(index, "add_entry_from_context", None)
        if index is None or not isinstance(entries, list) or not callable(add):
            log.debug("literate: the search index is not one this plugin knows: every page is indexed anew")
            return
        options = json.dumps(getattr(index, "config", None), sort_keys=True, default=str)

        def add_entry(page: Page) -> None:
            toc = _toc(list(page.toc)) if page.toc is not None else None
            meta = json.dumps(page.meta, sort_keys=True, default=str)
            parts = [options, page.url, page.title, meta, toc, page.content]
            key = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
            self._used.add(key)
            target: list[dict[str, Any]] = index.entries
            if key in self.entries:
                self.hits += 1
                target.extend(copy.deepcopy(self.entries[key]))
                return
            self.misses += 1
            before = len(target)
            add(page)
            self.entries[key] = copy.deepcopy(index.entries[before:])

        index.add_entry_from_context = add_entry

    def end(self) -> None:
        self.entries = {k: v for k, v in self.entries.items() if k in self._used}
        self._used = set()
