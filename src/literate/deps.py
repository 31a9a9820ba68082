"""Which modules of the tangled package a chapter's code imports, found without running it."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from .blocks import Block


@lru_cache(maxsize=None)
def _parse(path: Path, mtime: float) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return None


def _tree(path: Path) -> ast.Module | None:
    return _parse(path, path.stat().st_mtime) if path.exists() else None


def _exports(package_dir: Path) -> dict[str, str]:
    """Name -> submodule, from the package's `__init__.py` relative imports."""
    tree = _tree(package_dir / "__init__.py")
    names = {}
    for node in tree.body if tree else []:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = node.module
    return names


def _imported(tree: ast.AST, package: str, package_dir: Path, relative_ok: bool) -> set[str] | None:
    """Submodules `tree` imports from the package; None means "the whole package"."""
    found: set[str] = set()
    exports = None
    for node in ast.walk(tree):
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
        try:
            tree = ast.parse(block.code)
        except SyntaxError:
            continue  # the execution reports it
        names = _imported(tree, package, package_dir, relative_ok=False)
        if names is None:
            return every
        wanted |= names
    todo = list(wanted)
    while todo:  # follow the modules' own imports of each other
        tree = _tree(package_dir / f"{todo.pop()}.py")
        names = _imported(tree, package, package_dir, relative_ok=True) if tree else set()
        if names is None:
            return every
        for name in names - wanted:
            wanted.add(name)
            todo.append(name)
    if wanted:
        wanted.add("__init__")
    return sorted(p for p in (package_dir / f"{n}.py" for n in wanted) if p.exists())
