"""Where a book's chapters and tangled package live, read from `[tool.literate]` in pyproject.toml."""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from literate.source.blocks import Chapter, parse_file


@dataclass(frozen=True)
class Project:
    root: Path
    chapters: Path  # folder of chapter Markdown files
    package: str  # import name of the tangled package
    package_dir: Path
    lock: Path | None  # a lock file whose content keys the execution cache

    @classmethod
    def load(cls, start: Path | str = ".") -> Project:
        """Find pyproject.toml at or above `start` and read its `[tool.literate]` table."""
        start = Path(start).resolve()
        for folder in (start, *start.parents):
            pyproject = folder / "pyproject.toml"
            if pyproject.is_file():
                break
        else:
            raise FileNotFoundError(f"no pyproject.toml at or above {start}")
        table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("literate")
        if table is None:
            raise KeyError(f"{pyproject}: no [tool.literate] table")
        lock = table.get("lock")
        return cls(
            root=folder,
            chapters=folder / table.get("chapters", "docs/chapters"),
            package=table["package"],
            package_dir=folder / table["package_dir"],
            lock=folder / lock if lock else None,
        )

    def relative(self, path: Path) -> str:
        """`path` relative to the project root, with forward slashes, for messages and headers."""
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def parse(self, path: Path) -> Chapter:
        """Parse one chapter file; messages name it relative to the project root."""
        return parse_file(path, self.relative(path))

    def source_chapters(self) -> list[Chapter]:
        """The source-language chapters, parsed, in reading order."""
        return [self.parse(path) for path in self.chapter_files()]

    def chapter_files(self) -> list[Path]:
        """The source chapters, in reading order (their file names sort in it)."""
        return sorted(self.chapters.glob("*.md"))

    def copy_to(self, destination: Path, skip: frozenset[str] = frozenset({"tests"})) -> Path:
        """Copy the project's sources (not VCS data, virtualenvs, caches or build output) to `destination`."""
        leave_out = {".git", ".venv", ".cache", "node_modules", "site", *skip}
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.tmp")
        destination = Path(destination)
        destination.mkdir(parents=True)
        for entry in self.root.iterdir():
            if entry.name in leave_out:
                continue
            if entry.is_dir():
                shutil.copytree(entry, destination / entry.name, ignore=ignore)
            else:
                shutil.copy2(entry, destination / entry.name)
        return destination
