"""Execute chapters, from a cache keyed on everything that shapes the outputs.

A chapter's outputs are reused while these are unchanged: its Python blocks'
code and options, the source of the tangled package modules it imports, the
lock file of pinned dependencies, the Python version and this executor's own
source. Prose is not part of the key, so editing it executes nothing. The
chapters that miss the cache run side by side in `pool.Pool`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import outputs as outputs_module
from . import pool as pool_module
from . import worker as worker_module
from .atomic import write_atomic
from .blocks import Block, Chapter
from .deps import package_modules
from .outputs import Output, from_json, to_json
from .pool import Failed, Pool, ServerFailed, Work, chapter_request
from .project import Project

DEFAULT_TIMEOUT = 600.0  # seconds per chapter
DEFAULT_OUTPUT_LIMIT = 1_000_000  # characters of output kept per block
ORIGIN_MARKER = re.compile(rb"^# %% .*$", re.M)


class ExecutionError(Exception):
    """A block failed or timed out; the message starts with `chapter.md:line`."""


@dataclass(frozen=True)
class ChapterFailure:
    """A chapter that did not run to its end (only with `keep_going`)."""

    chapter: Chapter
    message: str  # starts with `chapter.md:line`


@dataclass(frozen=True)
class ChapterRun:
    chapter: Chapter
    key: str
    outputs: tuple[tuple[Output, ...], ...]  # one tuple per Python block
    executed: bool  # False when the outputs came from the cache
    seconds: float = 0.0


def _fingerprint() -> bytes:
    """This executor's own source: a change to how outputs are made invalidates the cache."""
    digest = hashlib.sha256(sys.version.encode())
    for path in (Path(worker_module.__file__), Path(outputs_module.__file__), Path(pool_module.__file__), Path(__file__)):
        digest.update(path.read_bytes())
    return digest.digest()


@dataclass
class Executor:
    """Runs chapters, from the cache when it can; starts the pool only on the first miss."""

    project: Project
    cache_dir: Path
    timeout: float = DEFAULT_TIMEOUT
    workers: int = 1
    preload: list[str] = field(default_factory=list)
    output_limit: int = DEFAULT_OUTPUT_LIMIT
    executed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.cache_dir = Path(self.cache_dir)
        self._base = hashlib.sha256(_fingerprint())
        self._base.update(f"output_limit={self.output_limit}".encode())
        if self.project.lock and self.project.lock.exists():
            self._base.update(self.project.lock.read_bytes())

    def key(self, blocks: tuple[Block, ...]) -> str:
        digest = self._base.copy()
        for block in blocks:
            digest.update(json.dumps([block.code, sorted(block.options)]).encode())
        for module in package_modules(blocks, self.project.package, self.project.package_dir):
            # Without the `# %% chapter:line` origin markers: prose edits that move lines change nothing.
            source = ORIGIN_MARKER.sub(b"", module.read_bytes())
            digest.update(module.name.encode() + b"\0" + source)
        return digest.hexdigest()

    def run_all(self, chapters: list[Chapter], keep_going: bool = False) -> list[ChapterRun | ChapterFailure]:
        """Every chapter's run, in the order given; those that miss the cache run side by side.

        A failure raises ExecutionError for the first failing chapter in that order, or with
        `keep_going` takes that chapter's place in the list while the others run. Nothing of a
        failed chapter is cached (the chapters that finished are). Builds that share the cache
        run their misses one build at a time: a build that waited finds in the cache what the
        other one ran (two editions built at once execute each chapter once).
        """
        keys = [self.key(chapter.python_blocks) for chapter in chapters]
        runs = self._from_cache(chapters, keys, range(len(chapters)))
        if len(runs) < len(chapters):
            runs |= self._run_missing(chapters, keys, set(runs), keep_going)
        if not keep_going:  # the chapters after a failure have no run
            _raise_first_failure([run for _, run in sorted(runs.items())])
        return [runs[i] for i in range(len(chapters))]

    def run_missing(self, chapters: list[Chapter]) -> list[ChapterRun]:
        """Run the chapters the cache lacks and store their outputs, as `run_all` would, but
        without reading the outputs the cache holds (`python -m literate execute`). Returns the
        runs of the chapters executed here, in the order given; raises ExecutionError for the
        first failing chapter in that order."""
        keys = [self.key(chapter.python_blocks) for chapter in chapters]
        present = {i for i, key in enumerate(keys) if self._outputs_file(key).is_file()}
        if len(present) == len(chapters):
            return []
        runs = [run for _, run in sorted(self._run_missing(chapters, keys, present, keep_going=False).items())]
        _raise_first_failure(runs)
        return [run for run in runs if run.executed]

    def _run_missing(self, chapters: list[Chapter], keys: list[str], present: set[int], keep_going: bool) -> dict:
        """The runs of the chapters not in `present`: from the cache if another build stored them
        while this one waited for the lock, else run here."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        waited_from = time.time()
        with open(self.cache_dir / "run.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            missing = [i for i in range(len(chapters)) if i not in present]
            runs = self._from_cache(chapters, keys, missing, failed_since=waited_from)
            failed = [i for i, run in runs.items() if isinstance(run, ChapterFailure)]
            # As the pool does: after a failure (unless `keep_going`) only earlier chapters run.
            last = len(chapters) if keep_going or not failed else min(failed)
            return runs | self._run([(i, chapters[i]) for i in missing if i not in runs and i < last], keys, keep_going)

    def _from_cache(self, chapters: list[Chapter], keys: list[str], positions, failed_since: float | None = None) -> dict:
        """The runs the cache holds; with `failed_since`, also the failures another build met
        since then (the same code fails the same way: it is not run again, for instance for
        another timeout). An older failure is run again."""
        runs: dict[int, ChapterRun | ChapterFailure] = {}
        for position in positions:
            chapter, key = chapters[position], keys[position]
            outputs = self._load(self._outputs_file(key), len(chapter.python_blocks))
            if outputs is not None:
                os.utime(self._outputs_file(key))  # last use, for evict_unused()
                self.cached.append(chapter.name)
                runs[position] = ChapterRun(chapter, key, outputs, executed=False)
            elif failed_since is not None and (message := self._failure(key, failed_since)):
                runs[position] = ChapterFailure(chapter, message)
        return runs

    def _failure(self, key: str, since: float) -> str | None:
        marker = self._failure_file(key)
        try:
            return marker.read_text(encoding="utf-8") if marker.stat().st_mtime >= since else None
        except OSError:
            return None

    def _run(self, chapters: list[tuple[int, Chapter]], keys: list[str], keep_going: bool) -> dict:
        """Run the chapters (position, chapter) in the pool; store what finished."""
        runs: dict[int, ChapterRun | ChapterFailure] = {}
        if not chapters:
            return runs
        work = [
            Work(position, chapter.name, chapter.python_blocks, chapter_request(
                chapter.name, str(self.project.root), chapter.python_blocks, self._import_paths(), self.output_limit
            ))
            for position, chapter in chapters
        ]
        by_position = dict(chapters)
        pool = Pool(self.workers, self.timeout, self.preload, self.project.root)
        try:
            for ended in pool.run(work, keep_going):
                chapter = by_position[ended.position]
                key = keys[ended.position]
                if isinstance(ended, Failed):
                    runs[ended.position] = ChapterFailure(chapter, ended.message)
                    write_atomic(self._failure_file(key), ended.message)  # for a build waiting on the lock
                    continue
                self._failure_file(key).unlink(missing_ok=True)
                stored = [[to_json(o) for o in block] for block in ended.outputs]
                self._store(self._outputs_file(key), {"path": chapter.name, "outputs": stored})
                self.executed.append(chapter.name)
                runs[ended.position] = ChapterRun(chapter, key, ended.outputs, True, ended.seconds)
        except ServerFailed as exc:
            raise ExecutionError(str(exc)) from None
        return runs

    def _outputs_file(self, key: str) -> Path:
        return self.cache_dir / f"{key}.json"

    def _failure_file(self, key: str) -> Path:
        return self.cache_dir / f"{key}.failed"

    def _import_paths(self) -> tuple[str, ...]:
        """The folder holding the project's package: imported before any installed copy."""
        return (str(self.project.package_dir.parent),)

    @staticmethod
    def _load(cache_file: Path, block_count: int) -> tuple[tuple[Output, ...], ...] | None:
        """The cached outputs, or None when there are none (or they cannot be read: then execute again)."""
        try:
            stored = json.loads(cache_file.read_text(encoding="utf-8"))["outputs"]
            outputs = tuple(tuple(from_json(o) for o in block) for block in stored)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return outputs if len(outputs) == block_count else None

    def _store(self, cache_file: Path, content: dict) -> None:
        """Atomically: a concurrent build sees the old file or the new one, never half of it."""
        write_atomic(cache_file, json.dumps(content, ensure_ascii=False))


def _raise_first_failure(runs: list[ChapterRun | ChapterFailure]) -> None:
    """ExecutionError for the first failure among `runs` (in reading order), if any."""
    for run in runs:
        if isinstance(run, ChapterFailure):
            raise ExecutionError(run.message)


def evict_unused(folder: Path, days: float = 30) -> int:
    """Delete cache entries (`*.json` and `*.failed` files, and the folders under `files/`) not used for `days`;
    returns how many went."""
    cutoff = time.time() - days * 86400
    gone = 0
    for entry in [*Path(folder).glob("*.json"), *Path(folder).glob("*.failed"), *Path(folder).glob("files/*")]:
        if entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink(missing_ok=True)
            gone += 1
    return gone
