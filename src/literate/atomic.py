"""Write a file so that a reader, or a build running at the same time, sees the old or the new text, never half."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _umask()
TEMPORARY_SUFFIX = ".tmp"


def temporary_for(path: Path) -> Path | None:
    """The file a temporary file of `write_atomic` beside it was made for, else None."""
    name = path.name
    if not (name.startswith(".") and name.endswith(TEMPORARY_SUFFIX)):
        return None
    target, dot, _random = name[1 : -len(TEMPORARY_SUFFIX)].rpartition(".")
    return path.with_name(target) if dot and target else None


def write_atomic(path: Path, text: str) -> None:
    """Write `text` (as UTF-8) to a fresh temporary file beside `path`, then rename it over `path`."""
    write_atomic_bytes(path, text.encode("utf-8"))


def write_atomic_bytes(path: Path, data: bytes) -> None:
    """Write `data` to a fresh temporary file beside `path`, then rename it over `path`.

    The file gets the mode an ordinary write would give it (0666 less the umask), not the
    private 0600 of a temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    try:
        os.fchmod(fd, 0o666 & ~UMASK)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
