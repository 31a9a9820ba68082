"""Collect the package the chapters' `#@save` statements define, and check it can be tangled.

A top-level statement whose first line carries `#@save` is copied, in chapter
order, into the module its chapter names in front matter (`module: data`). The
imports it needs are taken from the chapter's own import statements; names it
takes from the package itself become relative imports of the defining module.

A public name may be saved once. A chapter whose front matter says `wraps: true`
may save a name again in another module (a wrapper, e.g. one that checks the
arguments, then calls the first definition from its module): the package then
exports the wrapper, and the first definition stays in its own module.

This module reads the chapters into `Module` records, refusing, with file and
line, what cannot be tangled; `tangle` renders them as the package's files.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from literate.project import Project
from literate.source.blocks import Block, Chapter
from literate.source.imports import Import, bound_names, global_uses, package_names

SAVE_MARK = re.compile(r"\s*#\s*@save\b.*$")
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class TangleError(Exception):
    """A chapter cannot be tangled; the message starts with `file:line`."""


@dataclass(frozen=True)
class Saved:
    """One saved statement: its code (mark removed) and where it came from."""

    code: str
    origin: str  # "docs/chapters/x.md:42"
    names: set[str]  # names it defines at module level
    needs: dict[str, int]  # global names it uses -> chapter line of first use


@dataclass
class Module:
    name: str
    chapters: list[str] = field(default_factory=list)
    doc: str | None = None
    imports: list[str] = field(default_factory=list)  # import statements, in first-seen order
    saved: list[Saved] = field(default_factory=list)

    @property
    def public(self) -> list[str]:
        names = [n for s in self.saved for n in sorted(s.names) if not n.startswith("_")]
        return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Place:
    """Where something first appears: the chapter's number in reading order, and `file:line`."""

    number: int
    where: str


@dataclass(frozen=True)
class PackageUse:
    """A chapter's import of a name or module of the package, checked against reading order."""

    place: Place
    name: str
    is_module: bool


@dataclass
class ChapterCode:
    """What one chapter brings: its imports (by bound name), its saved statements, its module."""

    chapter: Chapter
    number: int
    imports: dict[str, tuple[Import, str]] = field(default_factory=dict)  # name -> (node, source)
    saved: list[Saved] = field(default_factory=list)
    uses: list[PackageUse] = field(default_factory=list)
    module: str = ""


@dataclass
class Book:
    """What the chapters read so far define, in reading order."""

    package: str
    modules: dict[str, Module] = field(default_factory=dict)
    origin_of: dict[str, str] = field(default_factory=dict)  # saved name -> its module (the wrapper's)
    saved_at: dict[str, tuple[str, str]] = field(default_factory=dict)  # public name -> (module, origin)
    first_saved: dict[str, Place] = field(default_factory=dict)
    first_module: dict[str, Place] = field(default_factory=dict)
    uses: list[PackageUse] = field(default_factory=list)


def collect(project: Project, chapters: Sequence[Chapter] | None = None) -> dict[str, Module]:
    """Gather the modules the chapters' saved statements make (all source chapters by default)."""
    book = Book(project.package)
    for number, chapter in enumerate(project.source_chapters() if chapters is None else chapters):
        code = _read_chapter(chapter, number, project.package)
        book.uses.extend(code.uses)
        if code.saved:
            _add_chapter(book, code)
    validate(book)
    return book.modules


def _statements(chapter: Chapter) -> Iterator[tuple[Block, ast.stmt, list[str]]]:
    """(block, statement, block lines) for every top-level statement of the chapter."""
    for block in chapter.python_blocks:
        try:
            tree = ast.parse(block.code)
        except SyntaxError as exc:
            raise TangleError(f"{chapter.name}:{block.line + (exc.lineno or 1) - 1}: {exc.msg}") from None
        lines = block.code.splitlines()
        for stmt in tree.body:
            yield block, stmt, lines


def _read_chapter(chapter: Chapter, number: int, package: str) -> ChapterCode:
    if "wraps" in chapter.meta and not isinstance(chapter.meta["wraps"], bool):
        # `wraps: "true"` or `wraps: 1` would be read as false, and the wrapper refused as a redefinition.
        raise TangleError(
            f"{chapter.name}:{_meta_line(chapter, 'wraps')}: `wraps:` is `true` or `false`, "
            f"not {chapter.meta['wraps']!r}"
        )
    code = ChapterCode(chapter, number)
    for block, stmt, lines in _statements(chapter):
        first = stmt.decorator_list[0].lineno if isinstance(stmt, DEFINITIONS) and stmt.decorator_list else stmt.lineno
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            text = "\n".join(lines[first - 1 : stmt.end_lineno])
            code.imports.update((name, (stmt, text)) for name in bound_names(stmt))
            place = Place(number, f"{chapter.name}:{block.line + stmt.lineno - 1}")
            code.uses.extend(PackageUse(place, n.name, n.is_module) for n in package_names(stmt, package))
        marked = _saved(chapter, block, stmt, lines, first)
        if marked is not None:
            mark, saved = marked
            code.module = _module_name(chapter, mark, package)
            code.saved.append(saved)
    return code


def _saved(chapter: Chapter, block: Block, stmt: ast.stmt, lines: list[str], first: int) -> tuple[str, Saved] | None:
    """Where the statement's head carries `#@save`, and the statement as saved code; None if
    it carries none. Refuses a mark anywhere else."""
    end = stmt.end_lineno or stmt.lineno
    inside = [i for i in range(stmt.lineno, end) if SAVE_MARK.search(lines[i])]
    if inside:
        raise TangleError(
            f"{chapter.name}:{block.line + inside[0]}: `#@save` must sit on the first line of a top-level statement"
        )
    marked = [i for i in range(first - 1, stmt.lineno) if SAVE_MARK.search(lines[i])]  # decorators, def line
    if not marked:
        return None
    mark = f"{chapter.name}:{block.line + marked[0]}"
    if not isinstance(stmt, DEFINITIONS):
        raise TangleError(
            f"{mark}: `#@save` marks a function or class definition, not "
            f"{_kind(stmt)}; put the mark on a `def` or `class` line (demo code stays in the chapter)"
        )
    code = "\n".join(
        SAVE_MARK.sub("", line) if i in marked else line for i, line in enumerate(lines) if first - 1 <= i < end
    )
    start = block.line + first - 1
    defined, needs = global_uses(code, start)
    return mark, Saved(code, f"{chapter.name}:{start}", defined, needs)


def _add_chapter(book: Book, code: ChapterCode) -> None:
    chapter, name = code.chapter, code.module
    module = book.modules.setdefault(name, Module(name))
    book.first_module.setdefault(name, Place(code.number, f"{chapter.name}:{_meta_line(chapter, 'module')}"))
    _refuse_redefinitions(book, code)
    module.chapters.append(chapter.name)
    module.doc = module.doc or _module_doc(chapter)
    module.saved.extend(code.saved)
    # Before this chapter's names count as saved: a wrapper's import of the name it wraps
    # must reach the earlier definition, not the wrapper.
    _resolve_imports(book, module, code)
    for saved in code.saved:
        for defined in saved.names:
            book.origin_of[defined] = module.name
            book.first_saved.setdefault(defined, Place(code.number, saved.origin))


def _kind(stmt: ast.stmt) -> str:
    """`an assignment`, `a for statement`, ...: what a misplaced `#@save` marks."""
    names: dict[type, str] = {
        ast.Assign: "an assignment", ast.AnnAssign: "an assignment", ast.AugAssign: "an assignment",
        ast.Expr: "an expression (a call runs on every import)", ast.For: "a for loop",
        ast.If: "an if statement", ast.While: "a while loop", ast.With: "a with statement",
        ast.Import: "an import", ast.ImportFrom: "an import",
    }  # fmt: skip
    return names.get(type(stmt), f"a {type(stmt).__name__} statement")


def _meta_line(chapter: Chapter, key: str) -> int:
    """The file line of `key:` in the chapter's front matter (1 if it is not found)."""
    for number, line in enumerate(chapter.text.split("\n")[: chapter.body_line], start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def docstring_literal(text: str) -> str:
    """`text` as a triple-quoted literal whose value is exactly `text`: backslashes, a `\"\"\"`
    inside and a `"` at the end escaped, so no wording of a `module_doc:` can end it early."""
    # A quote is escaped where two more follow it (no run of three is left) and at the very end.
    body = re.sub(r'"(?="")|"\Z', r'\\"', text.replace("\\", "\\\\"))
    return f'"""{body}"""'


def _module_doc(chapter: Chapter) -> str | None:
    """The chapter's `module_doc:`, checked: text that the generated module can carry as its docstring."""
    doc = chapter.meta.get("module_doc")
    if doc is None:
        return None
    where = f"{chapter.name}:{_meta_line(chapter, 'module_doc')}"
    if not isinstance(doc, str):
        raise TangleError(f"{where}: `module_doc:` must be text (the module's docstring), not {type(doc).__name__}")
    try:
        parsed = ast.parse(docstring_literal(doc))
    except (SyntaxError, ValueError) as exc:  # a NUL or a lone surrogate cannot be in Python source
        raise TangleError(f"{where}: `module_doc:` cannot be a Python docstring: {exc}") from None
    if ast.get_docstring(parsed, clean=False) != doc:
        raise TangleError(f"{where}: `module_doc:` cannot be written as a Python docstring unchanged")
    return doc


def _module_name(chapter: Chapter, where: str, package: str) -> str:
    """The chapter's `module:`, checked: a plain Python module name inside the package."""
    if "module" not in chapter.meta:
        raise TangleError(f"{where}: `#@save` needs the chapter's front matter to name its module, e.g. `module: data`")
    name = chapter.meta["module"]
    line = f"{chapter.name}:{_meta_line(chapter, 'module')}"
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise TangleError(
            f"{line}: `module: {name}` is not a module name: use lowercase letters, digits and _, "
            "e.g. `module: data` (the file src/<package>/data.py)"
        )
    if name.startswith("_") or name == package:
        raise TangleError(f"{line}: `module: {name}` is reserved; choose a name such as `module: data`")
    return name


def _package_import(book: Book, node: ast.ImportFrom, name: str, where: str) -> str | None:
    """The relative import for bound `name` of `from <package>[.sub] import ...`; None if not one."""
    package = book.package
    if node.level != 0 or not node.module or node.module.split(".")[0] != package:
        return None
    alias = next(a for a in node.names if (a.asname or a.name) == name)
    as_part = f" as {alias.asname}" if alias.asname and alias.asname != alias.name else ""
    if node.module != package:  # from package.sub import name
        return f"from .{node.module[len(package) + 1 :]} import {alias.name}{as_part}"
    if alias.name in book.origin_of:  # a saved name wins over a module of that name, as in Python
        return f"from .{book.origin_of[alias.name]} import {alias.name}{as_part}"
    if alias.name in book.modules:  # from package import sub (a module of the package)
        return f"from . import {alias.name}{as_part}"
    raise TangleError(f"{where}: `{alias.name}` is not saved by any earlier chapter")


def _resolve_imports(book: Book, module: Module, code: ChapterCode) -> None:
    """Give `module` the chapter imports its new statements need; fail on a name with no source."""
    defined = {n for s in module.saved for n in s.names}
    for saved in code.saved:
        for name, line in saved.needs.items():
            where = f"{code.chapter.name}:{line}"
            if name in defined:
                continue
            if name not in code.imports:
                raise TangleError(
                    f"{where}: saved code uses `{name}`, which is neither saved nor imported in this chapter"
                )
            node, text = code.imports[name]
            if isinstance(node, ast.ImportFrom):
                text = _package_import(book, node, name, where) or text
            elif any(a.name.split(".")[0] == book.package for a in node.names):
                raise TangleError(
                    f"{where}: saved code may take names from `{book.package}` only as "
                    f"`from {book.package} import name`"
                )
            if text not in module.imports:
                module.imports.append(text)


def validate(book: Book) -> None:
    """What only the whole book shows: a module named like a saved name, an import from later."""
    for name in book.modules:
        if name in book.saved_at:
            raise TangleError(
                f"{book.first_module[name].where}: `module: {name}` is also the name of `{name}`, saved at "
                f"{book.saved_at[name][1]}: `package.{name}` would mean both; rename the module"
            )
    for use in book.uses:
        known = book.first_module if use.is_module else {**book.first_module, **book.first_saved}
        if use.name not in known:
            what = "module" if use.is_module else "name or module"
            raise TangleError(f"{use.place.where}: `{book.package}` has no {what} `{use.name}`: no chapter saves it")
        if known[use.name].number > use.place.number:
            raise TangleError(
                f"{use.place.where}: `{use.name}` is saved later in the book, at {known[use.name].where}; a chapter "
                "may import only what it or an earlier chapter saves (move the definition, or the chapter)"
            )


def _refuse_redefinitions(book: Book, code: ChapterCode) -> None:
    """Fail on a public name saved twice, unless a `wraps: true` chapter wraps it from another module."""
    wraps = code.chapter.meta.get("wraps") is True
    for saved in code.saved:
        for name in sorted(n for n in saved.names if not n.startswith("_")):
            if name in book.saved_at:
                first_module, first_origin = book.saved_at[name]
                if not (wraps and first_module != code.module):
                    why = (
                        "a wrapper must live in another module"
                        if wraps
                        else "to wrap it, say `wraps: true` in the later chapter's front matter "
                        "and save the wrapper in another module"
                    )
                    raise TangleError(
                        f"{saved.origin}: `{name}` is saved again; it was first saved at {first_origin} ({why})"
                    )
            book.saved_at[name] = (code.module, saved.origin)
