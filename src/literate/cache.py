"""The build caches, one policy for all: entries named by key, written whole, checked when read,
marked when a build uses them, and evicted when no build has used them for a while.

Every cache is a folder under the plugin's `cache_dir` (execution outputs, typeset math,
diagrams, notebook files, ...). An entry is a file whose first line is the SHA-256 of the
rest: a reader that finds it torn, truncated or edited treats it as missing (and the build
makes it again) rather than showing wrong bytes. A folder entry (files that must stay real
files, such as the notebooks mkdocs-jupyter reads) is named by the digest of its content and
checked against it. The last use is the entry's modification time: reading an entry touches
it, and `evict` removes what no build touched for `keep_days`.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from literate.atomic import write_atomic_bytes

HEADER = b"sha256="
DEFAULT_KEEP_DAYS = 30.0


def digest(data: bytes | str) -> str:
    """The SHA-256 of `data` (text as UTF-8), in hex."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def mark_used(path: Path) -> None:
    """Record that this build used `path`, so that eviction keeps it."""
    try:
        os.utime(path)
    except OSError:
        pass  # evicted by another build meanwhile: this build has its content already


@dataclass(frozen=True)
class Cache:
    """One cache: a folder of entries named `<key><suffix>` (or folders named by digest)."""

    folder: Path
    suffix: str = ""

    def path(self, key: str) -> Path:
        return self.folder / f"{key}{self.suffix}"

    def has(self, key: str) -> bool:
        """Whether an entry is there, without reading or checking it."""
        return self.path(key).is_file()

    def read(self, key: str) -> bytes | None:
        """The entry's content, checked and marked used; None if it is missing or not whole."""
        path = self.path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        head, newline, body = raw.partition(b"\n")
        if not newline or head != HEADER + digest(body).encode():
            path.unlink(missing_ok=True)  # a bad entry is a miss: the build makes it again
            return None
        mark_used(path)
        return body

    def read_text(self, key: str) -> str | None:
        body = self.read(key)
        return None if body is None else body.decode("utf-8")

    def write(self, key: str, content: bytes | str) -> Path:
        """Store the entry atomically: a reader sees the old entry or the new one, never half."""
        body = content.encode("utf-8") if isinstance(content, str) else content
        path = self.path(key)
        write_atomic_bytes(path, HEADER + digest(body).encode() + b"\n" + body)
        return path

    def remove(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def files(self, files: dict[str, str]) -> Path:
        """A folder holding `files` (relative path -> text), named by their content and marked used.

        For files that must stay real files in a folder of their own; builds running at once
        never write the same file, and a file found whole is reused.
        """
        name = digest("\0".join(f"{path}\0{text}" for path, text in sorted(files.items())))[:16]
        folder = self.folder / name
        for relative, text in files.items():
            path = folder / relative
            if not _holds(path, text):
                write_atomic_bytes(path, text.encode("utf-8"))
        mark_used(folder)
        return folder

    def evict(self, keep_days: float = DEFAULT_KEEP_DAYS) -> int:
        """Remove the entries no build used for `keep_days` (left-over temporary files too);
        returns how many went."""
        cutoff = time.time() - keep_days * 86400
        gone = 0
        for entry in self.folder.glob("*") if self.folder.is_dir() else ():
            try:
                if entry.stat().st_mtime >= cutoff:
                    continue
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            except FileNotFoundError:
                continue  # another build evicted it first
            gone += 1
        return gone


def _holds(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def evict_caches(root: Path, keep_days: float = DEFAULT_KEEP_DAYS, skip: Collection[str] = ()) -> int:
    """Evict, in every cache under `root` but those named in `skip`, what no build used for
    `keep_days`; returns how many went."""
    if not root.is_dir():
        return 0
    gone = sum(Cache(f).evict(keep_days) for f in sorted(root.iterdir()) if f.is_dir() and f.name not in skip)
    # Files at the root but locks: entries an older layout kept there, evicted by the same rule.
    cutoff = time.time() - keep_days * 86400
    for entry in root.iterdir():
        if entry.is_file() and entry.suffix != ".lock" and entry.stat().st_mtime < cutoff:
            entry.unlink(missing_ok=True)
            gone += 1
    return gone


def drop_unreadable_json(folder: Path, keys: Collection[str]) -> list[Path]:
    """Remove the `*.json` entries of a cache this tool does not write (mkdocs-jupyter's notebook
    pages) that are not a whole JSON object with `keys`: a write cut short (a full disk) would
    otherwise fail every later build. Returns what went, for the log."""
    gone = []
    for entry in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            data = json.loads(entry.read_bytes())
            whole = isinstance(data, dict) and all(key in data for key in keys)
        except (OSError, ValueError):
            whole = False
        if not whole:
            entry.unlink(missing_ok=True)
            gone.append(entry)
    return gone


def environment_digest(lock: Path | None, distributions: Collection[str]) -> str:
    """A short digest of the lock file and the installed versions of `distributions`: a folder
    named by it holds what they made, and an upgrade starts an empty one."""
    hasher = hashlib.sha256()
    if lock is not None and lock.is_file():
        hasher.update(lock.read_bytes())
    for name in sorted(distributions):
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "absent"
        hasher.update(f"\0{name}={version}".encode())
    return hasher.hexdigest()[:16]
