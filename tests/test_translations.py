"""The English edition: same chapters, same code, block for block; each edition searchable in its language.

A translation `NN-slug.en.md` sits beside its chapter `NN-slug.md`. Only the prose is
translated: every fenced block (language, options and code) must be byte-identical, so both
editions show one execution of the same code. Diagrams are the exception: their labels are
prose, so only their kind and options must match.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from literate.blocks import Block, parse_file
from literate.project import Project

ROOT = Path(__file__).resolve().parents[1]
PROJECT = Project.load(ROOT)
DOCS = ROOT / "docs"
LANGUAGES = ("en",)  # translations, beside the default (Chinese) pages
TRANSLATED_TEXT = frozenset({"dot"})  # fences whose content is prose (diagram labels)
SHARED_META = ("module", "module_doc")  # front matter that shapes the tangled package

CHAPTERS = PROJECT.chapter_files()
PAIRS = [(chapter, chapter.with_name(f"{chapter.stem}.{lang}.md")) for chapter in CHAPTERS for lang in LANGUAGES]


def rel(path: Path) -> str:
    return PROJECT.relative(path)


def compare_blocks(source: Path, translation: Path) -> list[str]:
    """One message per fenced block of `translation` that differs from the same block of `source`."""
    ours, theirs = parse_file(translation).blocks, parse_file(source).blocks
    problems = []
    for number, (mine, original) in enumerate(zip(ours, theirs), start=1):
        if problem := describe_difference(mine, original):
            problems.append(
                f"{rel(translation)}:{mine.fence_line}: block {number} differs from block {number} of "
                f"{rel(source)} (line {original.fence_line}): {problem}"
            )
    if len(ours) != len(theirs):
        problems.append(
            f"{rel(translation)}: {len(ours)} fenced blocks, but {rel(source)} has {len(theirs)}"
            + (f"; the first extra one is at line {ours[len(theirs)].fence_line}" if len(ours) > len(theirs) else "")
            + (f"; the first missing one is at line {theirs[len(ours)].fence_line} there" if len(theirs) > len(ours) else "")
        )
    return problems


def describe_difference(mine: Block, original: Block) -> str | None:
    if mine.lang != original.lang:
        return f"language {mine.lang!r} instead of {original.lang!r}"
    if mine.options != original.options:
        return f"options {sorted(mine.options)} instead of {sorted(original.options)}"
    if mine.lang in TRANSLATED_TEXT or mine.code == original.code:
        return None
    my_lines, original_lines = mine.code.split("\n"), original.code.split("\n")
    for index, (a, b) in enumerate(zip(my_lines, original_lines)):
        if a != b:
            return f"first difference at line {mine.line + index}: {a!r} instead of {b!r} (line {original.line + index})"
    index = min(len(my_lines), len(original_lines))
    if len(my_lines) > len(original_lines):
        return f"extra line {mine.line + index}: {my_lines[index]!r}"
    return f"missing line {original_lines[index]!r} (line {original.line + index}) at line {mine.line + index}"


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
    "page", sorted(p for p in DOCS.rglob("*.md") if "." not in p.stem and p.parent != PROJECT.chapters),
    ids=lambda p: p.relative_to(DOCS).as_posix(),
)
def test_every_other_page_is_translated(page: Path):
    for lang in LANGUAGES:
        translation = page.with_name(f"{page.stem}.{lang}.md")
        assert translation.is_file(), f"{rel(page)} has no translation: write {rel(translation)}"


def test_every_translation_has_its_page():
    for lang in LANGUAGES:
        for translation in DOCS.rglob(f"*.{lang}.md"):
            source = translation.with_name(translation.name[: -len(f".{lang}.md")] + ".md")
            assert source.is_file(), f"{rel(translation)} translates {rel(source)}, which does not exist"


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
    assert compare_blocks(source, translation) == [f"{rel(translation)}: 1 fenced blocks, but {rel(source)} has 2; "
                                                   "the first missing one is at line 8 there"]


# --- the built site: both editions, each searchable in its language -------------------------

HAN = re.compile(r"[\u4e00-\u9fff]")


def pages(site: Path):
    for page in sorted(site.rglob("*.html")):
        if "assets" not in page.relative_to(site).parts:
            yield page


def edition(site: Path, page: Path) -> str:
    first = page.relative_to(site).parts[0]
    return first if first in LANGUAGES else "zh"


@pytest.mark.slow
def test_every_page_exists_in_both_editions(built_site: Path):
    for source in sorted(DOCS.rglob("*.md")):
        if "." in source.stem:
            continue
        page = source.relative_to(DOCS).with_suffix("")
        page = page.parent if page.name == "index" else page
        for folder in ("", *(f"{lang}/" for lang in LANGUAGES)):
            assert (built_site / folder / page / "index.html").is_file(), f"{rel(source)} is not built under /{folder}"


@pytest.mark.slow
def test_html_lang_and_language_switcher(built_site: Path):
    for page in pages(built_site):
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(built_site).as_posix()
        lang = edition(built_site, page)
        assert f'<html lang="{lang}"' in text, f"{name}: expected <html lang=\"{lang}\">"
        if page.name == "404.html":
            continue
        # The switcher leads to the same page in every edition.
        url = "http://site/" + name
        links = dict(re.findall(r'<a href="([^"]*)" hreflang="([^"]*)" class="md-select__link"', text))
        targets = {hreflang: urlsplit(urljoin(url, href)).path for href, hreflang in links.items()}
        assert set(targets) == {"zh", *LANGUAGES}, f"{name}: language switcher offers {sorted(targets)}"
        # The theme fetches sitemap.xml below every <link rel="alternate" hreflang> of the head.
        for href in re.findall(r'<link rel="alternate" href="([^"]*)" hreflang=', text):
            sitemap = (page.parent / urlsplit(href).path / "sitemap.xml").resolve()
            assert sitemap.is_file(), f"{name}: <link rel=alternate href={href!r}> makes browsers fetch a missing sitemap.xml"
        here = "/" + name.removesuffix("index.html")
        bare = here.removeprefix(f"/{lang}") if lang != "zh" else here
        for other, path in targets.items():
            expected = bare if other == "zh" else f"/{other}{bare}"
            assert path == expected, f"{name}: the {other} link leads to {path}, not {expected}"


@pytest.mark.slow
def test_each_home_page_is_titled_by_its_site_name(built_site: Path):
    for folder in ("", *(f"{lang}/" for lang in LANGUAGES)):
        title = re.search(r"<title>(.*?)</title>", (built_site / folder / "index.html").read_text(encoding="utf-8"))
        assert title and " - " not in title.group(1), f"/{folder}: home page titled {title and title.group(1)!r}"


@pytest.mark.slow
def test_images_and_scripts_exist(built_site: Path):
    """Every image and script a page of either edition loads is in the site (pages under en/ are deeper)."""
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
    index = load_index(built_site, "")
    # jieba cuts Chinese text into words joined by U+200B: the separator must split there.
    assert re.fullmatch(index["config"]["separator"], "\u200b"), "the search separator does not split at U+200B"
    locations(built_site, "", index)
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
    chinese, english = load_index(built_site, ""), load_index(built_site, "en/")
    assert not [d["location"] for d in chinese["docs"] if d["location"].startswith("en/")]
    assert english["config"]["separator"] != chinese["config"]["separator"]  # each language's own rules
    translated = {p.with_suffix("").with_suffix("").relative_to(DOCS).as_posix() for p in DOCS.rglob("*.en.md")}
    for doc in english["docs"]:
        page = doc["location"].split("#")[0].rstrip("/") or "index"
        if page in translated:
            assert not HAN.search(doc["title"]), f"en/search/search_index.json: {doc['location']} has a Chinese title"
