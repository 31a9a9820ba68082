"""The English edition: same chapters, same code, block for block; each edition searchable in its language.

Each edition is one MkDocs project: mkdocs.yml (Chinese, docs/) and mkdocs.en.yml (English,
docs-en/), built into the site's zh/ and en/. A translation has its source's path in the other
docs folder. Only the prose is translated: every fenced block (language, options and code) must
be byte-identical, so both editions show one execution of the same code. Diagrams are the
exception: their labels are prose, so only their kind and options must match.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from builds import ROOT
from mkdocs.config import load_config
from redirects import is_redirect

from literate.project import Project
from literate.source.blocks import parse_file
from literate.source.translation import differences

PROJECT = Project.load(ROOT)
# Each edition's folder in the site and its docs folder, as its MkDocs project says.
EDITIONS = {
    Path(config.site_dir).name: Path(config.docs_dir)
    for config in (load_config(str(ROOT / name)) for name in ("mkdocs.yml", "mkdocs.en.yml"))
}
DOCS = EDITIONS["zh"]  # the source edition
LANGUAGES = tuple(language for language in EDITIONS if language != "zh")  # its translations
SHARED_META = ("module", "module_doc")  # front matter that shapes the tangled package

CHAPTERS = PROJECT.chapter_files()
PAIRS = [(chapter, EDITIONS[lang] / chapter.relative_to(DOCS)) for chapter in CHAPTERS for lang in LANGUAGES]


def sources(docs: Path) -> list[Path]:
    """The Markdown pages of an edition (not the shared assets, a link into docs/)."""
    return sorted(p for p in docs.rglob("*.md") if p.relative_to(docs).parts[0] != "assets")


def rel(path: Path) -> str:
    return PROJECT.relative(path)


def compare_blocks(source: Path, translation: Path) -> list[str]:
    """One message per fenced block of `translation` that differs from `source`'s (the build's own check)."""
    return differences(PROJECT.parse(source), PROJECT.parse(translation))


# --- the chapters and their translations ---------------------------------------------------


def test_there_are_chapters():
    assert CHAPTERS, f"no chapters found in {rel(PROJECT.chapters)}"


@pytest.mark.parametrize("chapter, translation", PAIRS, ids=[t.name for _, t in PAIRS])
def test_every_chapter_is_translated(chapter: Path, translation: Path):
    assert translation.is_file(), f"{rel(chapter)} has no translation: write {rel(translation)}"


@pytest.mark.parametrize("chapter, translation", PAIRS, ids=[t.name for _, t in PAIRS])
def test_translation_has_the_same_code(chapter: Path, translation: Path):
    if not translation.is_file():
        pytest.skip(f"{rel(translation)} does not exist yet")
    problems = compare_blocks(chapter, translation)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("chapter, translation", PAIRS, ids=[t.name for _, t in PAIRS])
def test_translation_has_the_same_module(chapter: Path, translation: Path):
    if not translation.is_file():
        pytest.skip(f"{rel(translation)} does not exist yet")
    source, translated = parse_file(chapter).meta, parse_file(translation).meta
    for key in SHARED_META:
        assert translated.get(key) == source.get(key), (
            f"{rel(translation)}: front matter {key}: {translated.get(key)!r}, "
            f"but {rel(chapter)} has {source.get(key)!r}"
        )


@pytest.mark.parametrize(
    "page", [p for p in sources(DOCS) if p.parent != PROJECT.chapters], ids=lambda p: p.relative_to(DOCS).as_posix()
)
def test_every_other_page_is_translated(page: Path):
    for lang in LANGUAGES:
        translation = EDITIONS[lang] / page.relative_to(DOCS)
        assert translation.is_file(), f"{rel(page)} has no translation: write {rel(translation)}"


def test_every_translation_has_its_page():
    for lang in LANGUAGES:
        for translation in sources(EDITIONS[lang]):
            source = DOCS / translation.relative_to(EDITIONS[lang])
            assert source.is_file(), f"{rel(translation)} translates {rel(source)}, which does not exist"


def test_the_editions_share_one_assets_folder():
    for lang in LANGUAGES:
        assets = EDITIONS[lang] / "assets"
        assert assets.resolve() == (DOCS / "assets").resolve(), f"{rel(assets)} is not a link to {rel(DOCS / 'assets')}"


def test_a_changed_block_is_reported(tmp_path: Path):
    """The comparison names the file, the block, its line and the first differing line."""
    source = tmp_path / "01-x.md"
    source.write_text("# T\n\n```{.python continuation}\na = 1\nb = 2\n```\n\n```{.python continuation}\nc = 3\n```\n")
    translation = tmp_path / "01-x.en.md"
    translation.write_text(
        "# T\n\nMore prose.\n\n```{.python continuation}\na = 1\nb = 20\n```\n\n```{.python continuation varying}\nc = 3\n```\n"
    )
    problems = compare_blocks(source, translation)
    assert len(problems) == 2
    assert "01-x.en.md:5: block 1" in problems[0] and "line 7: 'b = 20' instead of 'b = 2' (line 5)" in problems[0]
    assert "block 2" in problems[1] and "options ['continuation', 'varying']" in problems[1]
    translation.write_text("# T\n\n```{.python continuation}\na = 1\nb = 2\n```\n")
    assert compare_blocks(source, translation) == [
        f"{rel(translation)}: 1 fenced blocks, but {rel(source)} has 2; the first missing one is at line 8 there"
    ]


# --- the built site: both editions, each searchable in its language -------------------------

HAN = re.compile(r"[\u4e00-\u9fff]")


def pages(site: Path):
    """The HTML pages of the editions (zh/, en/), not of their assets nor the old addresses that
    only send the reader on (tests/site/test_redirects.py)."""
    for language in EDITIONS:
        for page in sorted((site / language).rglob("*.html")):
            rel = page.parent.relative_to(site).as_posix() + "/"
            if "assets" not in page.relative_to(site).parts and not (page.name == "index.html" and is_redirect(rel)):
                yield page


def edition(site: Path, page: Path) -> str:
    return page.relative_to(site).parts[0]


def url_path(source: Path, docs: Path) -> str:
    """The address of a Markdown page below its edition's folder: `chapters/x/`, '' for the home page."""
    page = source.relative_to(docs).with_suffix("")
    page = page.parent if page.name == "index" else page
    return "" if page == Path(".") else page.as_posix() + "/"


@pytest.mark.slow
def test_every_page_exists_in_both_editions(built_site: Path):
    for source in sources(DOCS):
        for folder in EDITIONS:
            page = built_site / folder / url_path(source, DOCS) / "index.html"
            assert page.is_file(), f"{rel(source)} is not built under /{folder}/"


@pytest.mark.slow
def test_the_site_root_leads_to_the_editions(built_site: Path):
    text = (built_site / "index.html").read_text(encoding="utf-8")
    # Its script picks the reader's edition (tests/browser); a refresh would send every reader
    # without JavaScript to one of them instead of offering both.
    assert 'http-equiv="refresh"' not in text and "navigator.languages" in text
    for language in EDITIONS:
        assert f'href="{language}/"' in text, f"the root page has no link to {language}/"
    # For servers with one 404 page for the whole site: the source edition's.
    assert (built_site / "404.html").read_bytes() == (built_site / "zh" / "404.html").read_bytes()


@pytest.mark.slow
def test_html_lang_and_language_switcher(built_site: Path):
    listed = {
        lang: set(
            re.findall(r"<loc>[a-z]+://[^/]+(/[^<]*)</loc>", (built_site / lang / "sitemap.xml").read_text("utf-8"))
        )
        for lang in EDITIONS
    }
    for page in pages(built_site):
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(built_site).as_posix()
        lang = edition(built_site, page)
        assert f'<html lang="{lang}"' in text, f'{name}: expected <html lang="{lang}">'
        if page.name == "404.html":
            continue
        # The switcher offers each edition's home page; the theme leads the reader to the same
        # page there when the edition's sitemap.xml lists it (tests/browser clicks it).
        url = "http://site/" + name
        links = dict(re.findall(r'<a href="([^"]*)" hreflang="([^"]*)" class="md-select__link"', text))
        targets = {hreflang: urlsplit(urljoin(url, href)).path for href, hreflang in links.items()}
        assert targets == {language: f"/{language}/" for language in EDITIONS}, f"{name}: switcher {targets}"
        # The theme fetches sitemap.xml below every <link rel="alternate" hreflang> of the head.
        for href in re.findall(r'<link rel="alternate" href="([^"]*)" hreflang=', text):
            sitemap = built_site / urlsplit(urljoin(url, href)).path.lstrip("/") / "sitemap.xml"
            assert sitemap.is_file(), (
                f"{name}: <link rel=alternate href={href!r}> makes browsers fetch a missing sitemap.xml"
            )
        bare = "/" + name.removesuffix("index.html").removeprefix(f"{lang}/")
        for other in EDITIONS:
            assert f"/{other}{bare}" in listed[other], f"{name}: /{other}/sitemap.xml does not list /{other}{bare}"


@pytest.mark.slow
def test_each_home_page_is_titled_by_its_site_name(built_site: Path):
    for folder in EDITIONS:
        title = re.search(r"<title>(.*?)</title>", (built_site / folder / "index.html").read_text(encoding="utf-8"))
        assert title and " - " not in title.group(1), f"/{folder}/: home page titled {title and title.group(1)!r}"


@pytest.mark.slow
def test_images_and_scripts_exist(built_site: Path):
    """Every image and script a page of either edition loads is in the site."""
    seen = 0
    for page in pages(built_site):
        for tag, src in re.findall(r'<(img|script)[^>]*\ssrc="([^"]+)"', page.read_text(encoding="utf-8")):
            src = html.unescape(src)
            if re.match(r"[a-z]+:", src):
                continue
            path = urlsplit(src).path
            target = (built_site / path.lstrip("/") if path.startswith("/") else page.parent / path).resolve()
            assert target.is_file(), f"{page.relative_to(built_site)}: <{tag} src={src!r}> does not exist"
            seen += tag == "img"
    assert seen, "no images at all in the built site"


def load_index(built_site: Path, folder: str) -> dict:
    path = built_site / folder / "search" / "search_index.json"
    assert path.is_file(), f"no search index at {path.relative_to(built_site)}"
    return json.loads(path.read_text(encoding="utf-8"))


def tokens(index: dict, text: str) -> set[str]:
    """The words the theme's search indexes in `text`: split by the index's separator, lowercased."""
    return {t.lower() for t in re.split(index["config"]["separator"], text) if t}


def covered(word: str, vocabulary: set[str]) -> bool:
    """Whether `word` splits into indexed words: then a search for it finds the page."""
    ends = {0}
    for end in range(1, len(word) + 1):
        if any(start in ends and word[start:end] in vocabulary for start in range(end)):
            ends.add(end)
    return len(word) in ends


def locations(built_site: Path, folder: str, index: dict) -> None:
    for doc in index["docs"]:
        page = urlsplit(doc["location"]).path
        assert (built_site / folder / page / "index.html").resolve().is_file(), (
            f"{folder}search/search_index.json: {doc['location']!r} is no page of /{folder}"
        )


@pytest.mark.slow
@pytest.mark.parametrize("word", ["线性回归", "小批量"])
def test_chinese_search_finds_a_word_mid_sentence(built_site: Path, word: str):
    index = load_index(built_site, "zh/")
    # jieba cuts Chinese text into words joined by U+200B: the separator must split there.
    assert re.fullmatch(index["config"]["separator"], "\u200b"), "the search separator does not split at U+200B"
    locations(built_site, "zh/", index)
    found = []
    for doc in index["docs"]:
        text = doc["text"].replace("\u200b", "")
        mid_sentence = re.search(f"[\u4e00-\u9fff]{word}|{word}[\u4e00-\u9fff]", text)
        if mid_sentence and covered(word, tokens(index, doc["text"])):
            found.append(doc["location"])
    assert found, f"searching the Chinese edition for {word} finds no page where it is inside a sentence"


@pytest.mark.slow
def test_english_search_finds_minibatch(built_site: Path):
    index = load_index(built_site, "en/")
    locations(built_site, "en/", index)
    found = [doc["location"] for doc in index["docs"] if "minibatch" in tokens(index, doc["text"])]
    assert found, "searching the English edition for minibatch finds nothing"


@pytest.mark.slow
def test_each_edition_searches_only_its_own_pages(built_site: Path):
    chinese, english = load_index(built_site, "zh/"), load_index(built_site, "en/")
    locations(built_site, "zh/", chinese)  # every location is a page of the index's own edition
    assert english["config"]["separator"] != chinese["config"]["separator"]  # each language's own rules
    translated = {url_path(p, EDITIONS["en"]) for p in sources(EDITIONS["en"])}
    for doc in english["docs"]:
        page = doc["location"].split("#")[0]
        if page in translated:
            assert not HAN.search(doc["title"]), f"en/search/search_index.json: {doc['location']} has a Chinese title"
