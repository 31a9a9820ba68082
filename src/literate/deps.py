"""Which modules of the tangled package a chapter's code imports, found without running it."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from .blocks import Block


@lru_cache(maxsize=4096)
def import_statements(code: str) -> tuple[ast.Import | ast.ImportFrom, ...]:
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


def _imported(code: str, package: str, package_dir: Path, relative_ok: bool) -> set[str] | None:
    """Submodules `code` imports from the package; None means "the whole package"."""
    found: set[str] = set()
    exports = None
    for node in import_statements(code):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == package:
                    return None
                if alias.name.startswith(package + "."):
                    found.add(alias.name.split(".")[1])
        elif isinstance(node, ast.ImportFrom):
            if relative_ok and node.level == 1:
                if node.module:
                    found.add(node.module.split(".")[0])
                else:  # from . import module
                    found.update(a.name for a in node.names if (package_dir / f"{a.name}.py").exists())
                continue
            if node.level or not node.module:
                continue
            if node.module == package:
                exports = exports if exports is not None else _exports(package_dir)
                for alias in node.names:
                    if (package_dir / f"{alias.name}.py").exists():
                        found.add(alias.name)
                    elif alias.name in exports:
                        found.add(exports[alias.name])
                    else:  # a star import or a name we cannot place: depend on everything
                        return None
            elif node.module.startswith(package + "."):
                found.add(node.module.split(".")[1])
    return found


def package_modules(blocks: tuple[Block, ...], package: str, package_dir: Path) -> list[Path]:
    """The package's module files the blocks import, directly or through other package modules.

    `__init__.py` counts whenever the package is imported at all: importing runs it.
    """
    every = sorted(package_dir.glob("*.py"))
    wanted: set[str] = set()
    for block in blocks:
        if package not in block.code:
            continue  # cannot name it, so cannot import it
        names = _imported(block.code, package, package_dir, relative_ok=False)
        if names is None:
            return every
        wanted |= names
    todo = list(wanted)
    while todo:  # follow the modules' own imports of each other
        source = _source(package_dir / f"{todo.pop()}.py")
        names = _imported(source, package, package_dir, relative_ok=True) if source is not None else set()
        if names is None:
            return every
        for name in names - wanted:
            wanted.add(name)
            todo.append(name)
    if wanted:
        wanted.add("__init__")
    return sorted(p for p in (package_dir / f"{n}.py" for n in wanted) if p.exists())
