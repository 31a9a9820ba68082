"""Import analysis, without running anything: what code imports, and what names it reads.

One place for the three questions the tool asks of Python source: which of the tangled
package's names or modules a chapter's import takes (tangle checks them), which package
module files a chapter's code loads, directly or through each other (the execution cache
key, the downloaded notebook's package cell), and which third-party packages it needs
(the notebook says so).
"""

from __future__ import annotations

import ast
import builtins
import symtable
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from literate.source.blocks import Block

Import = ast.Import | ast.ImportFrom
BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__"}


@lru_cache(maxsize=4096)
def import_statements(code: str) -> tuple[Import, ...]:
    """The import statements anywhere in `code`; none if it does not parse (running it says why).

    Cached by the code itself: a build asks for each block and module several times.
    """
    if "import" not in code:
        return ()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ()
    return tuple(node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)))


def bound_names(node: Import) -> list[str]:
    """The names an import statement binds in its namespace."""
    return [alias.asname or alias.name.split(".")[0] for alias in node.names]


@dataclass(frozen=True)
class PackageName:
    """A name a chapter's import takes from the package, and whether it must be a module."""

    name: str
    is_module: bool


def package_names(node: Import, package: str) -> list[PackageName]:
    """What an import statement takes from `package` (nothing for a relative import)."""
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == package:
            return [PackageName(a.name, False) for a in node.names if a.name != "*"]
        if node.module.startswith(package + "."):
            return [PackageName(node.module.split(".")[1], True)]
    if isinstance(node, ast.Import):
        return [PackageName(a.name.split(".")[1], True) for a in node.names if a.name.startswith(package + ".")]
    return []


def global_uses(source: str, first_line: int) -> tuple[set[str], dict[str, int]]:
    """Module-level names `source` defines, and the global names it reads, each with the file
    line of its first use (`first_line` is the file line of the source's first line)."""
    table = symtable.symtable(source, "<saved>", "exec")
    defined = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    lines: dict[str, int] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            lines.setdefault(node.id, node.lineno)
    uses: dict[str, int] = {}
    tables = [table]  # depth first, in source order: the first unknown name is the one reported
    while tables:
        current = tables.pop()
        module_level = current.get_type() == "module"
        for symbol in current.get_symbols():
            name = symbol.get_name()
            global_read = symbol.is_referenced() and (module_level or symbol.is_global())
            if global_read and name not in defined and name not in BUILTINS:
                uses.setdefault(name, first_line + lines.get(name, 1) - 1)
        tables.extend(reversed(current.get_children()))
    return defined, uses


def _source(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _exports(package_dir: Path) -> dict[str, str]:
    """Name -> submodule, from the package's `__init__.py` relative imports."""
    names = {}
    for node in import_statements(_source(package_dir / "__init__.py") or ""):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module and node.col_offset == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = node.module
    return names


class _Everything(Exception):
    """The code imports the whole package (or a name that cannot be placed): it depends on every module."""


def _from_package(node: ast.ImportFrom, package_dir: Path, exports: dict[str, str]) -> set[str]:
    found = set()
    for alias in node.names:
        if (package_dir / f"{alias.name}.py").exists():
            found.add(alias.name)
        elif alias.name in exports:
            found.add(exports[alias.name])
        else:  # a star import or a name we cannot place
            raise _Everything
    return found


def _imported(code: str, package: str, package_dir: Path, relative_ok: bool) -> set[str]:
    """The package's submodules `code` imports; raises _Everything for the whole package."""
    found: set[str] = set()
    for node in import_statements(code):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == package:
                    raise _Everything
                if alias.name.startswith(package + "."):
                    found.add(alias.name.split(".")[1])
        elif relative_ok and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:  # from . import module
                found.update(a.name for a in node.names if (package_dir / f"{a.name}.py").exists())
        elif node.level == 0 and node.module == package:
            found |= _from_package(node, package_dir, _exports(package_dir))
        elif node.level == 0 and node.module and node.module.startswith(package + "."):
            found.add(node.module.split(".")[1])
    return found


def _closure(wanted: set[str], package: str, package_dir: Path) -> set[str]:
    """`wanted` and the package modules they import, and so on."""
    todo = list(wanted)
    while todo:
        source = _source(package_dir / f"{todo.pop()}.py")
        names = _imported(source, package, package_dir, relative_ok=True) if source is not None else set()
        for name in names - wanted:
            wanted.add(name)
            todo.append(name)
    return wanted


def package_modules(blocks: Iterable[Block], package: str, package_dir: Path) -> list[Path]:
    """The package's module files the blocks import, directly or through other package modules.

    `__init__.py` counts whenever the package is imported at all: importing runs it.
    """
    try:
        wanted: set[str] = set()
        for block in blocks:
            if package in block.code:  # else it cannot name the package, so cannot import it
                wanted |= _imported(block.code, package, package_dir, relative_ok=False)
        wanted = _closure(wanted, package, package_dir)
    except _Everything:
        return sorted(package_dir.glob("*.py"))
    if wanted:
        wanted.add("__init__")
    return sorted(p for p in (package_dir / f"{n}.py" for n in wanted) if p.exists())


def third_party(codes: Iterable[str], package: str) -> list[str]:
    """Top-level names of what `codes` import that is neither the standard library nor `package`."""
    found = set()
    for code in codes:
        for node in import_statements(code):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return sorted(found - set(sys.stdlib_module_names) - {package, "__future__"})
