"""MkDocs hook: what mkdocs-static-i18n (1.3) leaves undone for a site with the Material theme.

1. One search index per language.

mkdocs-static-i18n builds the languages one after the other into one site and merges the pages
of all of them into the single index the theme loads, under one search configuration: a reader
of one edition gets results from the others, tokenized by the first language's rules. Instead,
this hook keeps what the search plugin indexed in each language's build, with that language's
own settings (word separator, pipeline: Material's defaults for the language unless mkdocs.yml
sets them), and writes it to `<language folder>/search/search_index.json` (the default language
at the site root), with locations relative to that folder. `overrides/main.html` then points the
search of each page at the index of its language (the theme reads `search/search_index.json`
below its base URL).

2. The default language's 404.html at the site root, which each language's build would
otherwise overwrite, the last one winning.

3. The language switcher on pages the i18n plugin does not know, because another plugin added
them after it sorted the files (the executed notebooks): i18n points the switcher of each of its
pages at that page's translations, and leaves the links of the page it handled last on these.
They get the same path in the other language's folder instead.

4. mkdocs-jupyter's `custom_mathjax_url`, a URL relative to a notebook page, written for the
default language's pages: another language's pages are one folder deeper (en/notebooks/x/).

Without the i18n plugin this hook does nothing: the search plugin writes its index as usual.
"""

from __future__ import annotations

import json
import os
import re
from copy import deepcopy

from mkdocs import utils
from mkdocs.plugins import CombinedEvent, event_priority

SETTINGS = ("lang", "separator", "pipeline")

_explicit: dict | None = None  # the search settings as mkdocs.yml gives them (None: language default)
_mathjax_url: str | None = None  # mkdocs-jupyter's custom_mathjax_url as mkdocs.yml gives it
_indexes: dict[str, dict] = {}  # language folder ("" or "en/") -> its search index


def _plugins(config):
    search = config.plugins.get("material/search") or config.plugins.get("search")
    return search, config.plugins.get("i18n")


def _folder(i18n) -> str:
    """Where the language being built lives in the site: "" for the default one, else "<locale>/"."""
    return "" if i18n.current_language == i18n.default_language else f"{i18n.current_language}/"


@event_priority(100)  # before the search plugin fills its settings in with the first language's defaults
def _remember_explicit_settings(config):
    global _explicit
    search, _ = _plugins(config)
    if search is not None and _explicit is None:
        _explicit = {key: search.config.get(key) for key in SETTINGS}


@event_priority(-110)  # after i18n switched the config to the language being built
def _keep_default_404(config):
    # Every language build writes the theme's 404.html to the site root, the last one winning;
    # the root's is the default language's, so the other builds leave it alone.
    _, i18n = _plugins(config)
    if i18n is not None and _folder(i18n):
        config.theme.static_templates.discard("404.html")


@event_priority(-110)  # after i18n switched the config to the language being built
def _notebook_mathjax_url(config):
    global _mathjax_url
    _, i18n = _plugins(config)
    jupyter = config.plugins.get("mkdocs-jupyter")
    if i18n is None or jupyter is None:
        return
    if _mathjax_url is None:
        _mathjax_url = jupyter.config["custom_mathjax_url"]
    relative = _mathjax_url and not re.match(r"[a-z][a-z0-9+.-]*:|/", _mathjax_url)
    jupyter.config["custom_mathjax_url"] = "../" * _folder(i18n).count("/") + _mathjax_url if relative else _mathjax_url


on_config = CombinedEvent(_remember_explicit_settings, _keep_default_404, _notebook_mathjax_url)


def _language_settings(config) -> dict:
    """The search settings for the theme language being built, as Material derives them."""
    env = config.theme.get_env()
    t = env.get_template("partials/language.html", None, {"config": config}).module.t
    explicit = _explicit or {}
    pipeline = explicit.get("pipeline")
    return {
        "lang": explicit.get("lang") or [t("search.config.lang")],
        "separator": explicit.get("separator") or t("search.config.separator"),
        "pipeline": pipeline if pipeline is not None else [p for p in re.split(r"\s*,\s*", t("search.config.pipeline")) if p],
    }


@event_priority(-50)  # after the search plugin indexed this language, before i18n merges the languages
def _keep_language_index(config):
    search, i18n = _plugins(config)
    if search is None or i18n is None or not search.config.enabled:
        return
    folder = _folder(i18n)
    docs = []
    for entry in search.search_index.entries:
        location = entry["location"]
        if folder:  # relative to the language's folder, where the search of its pages looks
            location = location[len(folder) :] if location.startswith(folder) else "../" * folder.count("/") + location
        docs.append({**entry, "location": location})
    _indexes[folder] = {"config": {**_language_settings(config), "fields": search.config.fields}, "docs": docs}


@event_priority(-200)  # after i18n built the other languages and wrote its merged index
def _write_language_indexes(config):
    _, i18n = _plugins(config)
    if i18n is None or i18n.building:  # inside the build of one more language: the outer build writes
        return
    for folder, index in _indexes.items():
        path = os.path.join(config.site_dir, folder, "search", "search_index.json")
        utils.write_file(json.dumps(index, separators=(",", ":"), default=str).encode("utf-8"), path)
    _indexes.clear()


on_post_build = CombinedEvent(_keep_language_index, _write_language_indexes)


def _edition_folder(context, page, config, nav):
    _, i18n = _plugins(config)
    if i18n is not None and _folder(i18n):
        context["edition_folder"] = _folder(i18n)  # read by overrides/main.html
    return context


@event_priority(-100)  # after i18n set the switcher of its own pages (priority 50)
def _switcher_on_other_pages(context, page, config, nav):
    _, i18n = _plugins(config)
    if i18n is None or hasattr(page.file, "locale") or not i18n.extra_alternate:
        return context
    folder = _folder(i18n)
    path = page.url[len(folder) :] if folder and page.url.startswith(folder) else page.url
    alternates = deepcopy(i18n.extra_alternate)
    # i18n sets the attribute (which the theme's `config.extra.alternate` reads before the key)
    config.extra["alternate"] = config.extra.alternate = alternates
    for alternate in alternates:
        if alternate["lang"] in i18n.build_languages:
            language_folder = "" if alternate["lang"] == i18n.default_language else f"{alternate['lang']}/"
            alternate["link"] = language_folder + path
    return context


on_page_context = CombinedEvent(_edition_folder, _switcher_on_other_pages)
