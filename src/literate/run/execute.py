"""Execute chapters, from a cache keyed on everything that shapes the outputs.

A chapter's outputs are reused while these are unchanged: its Python blocks'
code and options, the source of the tangled package modules it imports, the
lock file of pinned dependencies, the Python version and this executor's own
source. Prose is not part of the key, so editing it executes nothing. The
chapters that miss the cache run side by side in `pool.Pool`.

One path from chapters to runs: `plan` gives each chapter its key, the cache
answers what it holds, and `_run_misses` runs the rest, one build at a time.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from literate import processes as processes_module
from literate.cache import Cache
from literate.project import Project
from literate.run import outputs as outputs_module
from literate.run import pool as pool_module
from literate.run import protocol as protocol_module
from literate.run import toplevel as toplevel_module
from literate.run import worker as worker_module
from literate.run.outputs import Output, at_chapter, block_relative, from_json, to_json
from literate.run.pool import Failed, KeptServer, Pool, Server, ServerFailed, Work
from literate.run.protocol import DEFAULT_OUTPUT_LIMIT, BlockRequest, ChapterRequest
from literate.source.blocks import Block, Chapter
from literate.source.imports import package_modules

__all__ = [
    "DEFAULT_OUTPUT_LIMIT",
    "DEFAULT_TIMEOUT",
    "ChapterFailure",
    "ChapterRun",
    "ExecutionError",
    "Executor",
    "execution_lock",
]

DEFAULT_TIMEOUT = 600.0  # seconds per chapter
ORIGIN_MARKER = re.compile(rb"^# %% .*$", re.M)
LOCK_POLL = 0.01  # seconds between two tries for the execution lock


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


Run = ChapterRun | ChapterFailure


@dataclass(frozen=True)
class Planned:
    """A chapter to run or to find in the cache: its place in reading order and its key."""

    position: int
    chapter: Chapter
    key: str


EXECUTOR_MODULES = (worker_module, outputs_module, protocol_module, toplevel_module, pool_module)


def _fingerprint() -> bytes:
    """This executor's own source: a change to how outputs are made invalidates the cache."""
    digest = hashlib.sha256(sys.version.encode())
    for module in (*EXECUTOR_MODULES, sys.modules[__name__]):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.digest()


@dataclass
class Executor:
    """Runs chapters, from the cache when it can; starts the pool only on the first miss.

    The cache lives in `cache_dir/execution/`: `<key>.json` holds a chapter's outputs,
    `<key>.failed` the failure another build met (for a build that waited on the lock).
    """

    project: Project
    cache_dir: Path
    timeout: float = DEFAULT_TIMEOUT
    workers: int = 1
    preload: list[str] = field(default_factory=list)
    output_limit: int = DEFAULT_OUTPUT_LIMIT
    executed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    # A server kept from run to run (`mkdocs serve`); None: each run starts and ends its own.
    servers: KeptServer | None = None
    # A failure stored since then is taken as this run's own, not run again: a serve's run
    # ahead of the rebuild met it. (By default only failures met while this run waited count.)
    failures_since: float | None = None

    def __post_init__(self) -> None:
        self.cache_dir = Path(self.cache_dir)
        self.outputs = Cache(self.cache_dir / "execution", ".json")
        self.failures = Cache(self.cache_dir / "execution", ".failed")
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

    def plan(self, chapters: Iterable[Chapter]) -> list[Planned]:
        return [Planned(i, chapter, self.key(chapter.python_blocks)) for i, chapter in enumerate(chapters)]

    def run_all(self, chapters: list[Chapter], keep_going: bool = False) -> list[Run]:
        """Every chapter's run, in the order given; those that miss the cache run side by side.

        A failure raises ExecutionError for the first failing chapter in that order, or with
        `keep_going` takes that chapter's place in the list while the others run. Nothing of a
        failed chapter is cached (the chapters that finished are). Builds that share the cache
        run their misses one build at a time: a build that waited finds in the cache what the
        other one ran (two editions built at once execute each chapter once).
        """
        plan = self.plan(chapters)
        runs = self._from_cache(plan)
        runs |= self._run_misses([p for p in plan if p.position not in runs], keep_going)
        if not keep_going:  # the chapters after a failure have no run
            _raise_first_failure(runs)
        return [runs[p.position] for p in plan]

    def fill_cache(self, chapters: list[Chapter], keep_going: bool = False) -> list[ChapterRun]:
        """Run the chapters the cache lacks and store their outputs, as `run_all` would, without
        reading what the cache holds (`python -m literate execute`; a serve's run ahead of its
        rebuild). Returns the runs executed here, in the order given. Raises ExecutionError for
        the first failing chapter, or with `keep_going` stores its failure for the build that
        asks next (see `failures_since`) and runs the others."""
        # A miss is what `run_all` would not find: an entry that is missing or fails its check.
        runs = self._run_misses([p for p in self.plan(chapters) if self._load(p) is None], keep_going)
        if not keep_going:
            _raise_first_failure(runs)
        return [run for _, run in sorted(runs.items()) if isinstance(run, ChapterRun) and run.executed]

    def _run_misses(self, plan: list[Planned], keep_going: bool) -> dict[int, Run]:
        """The runs of `plan`: from the cache if another build stored them while this one waited
        for the lock, else run here."""
        if not plan:
            return {}
        waited_from = time.time() if self.failures_since is None else min(time.time(), self.failures_since)
        try:
            with execution_lock(self.cache_dir):
                # Keyed again: the package may have been tangled anew (under this lock) since `plan`.
                plan = [Planned(p.position, p.chapter, self.key(p.chapter.python_blocks)) for p in plan]
                runs = self._from_cache(plan, failed_since=waited_from)
                failed = [i for i, run in runs.items() if isinstance(run, ChapterFailure)]
                # As the pool does: after a failure (unless `keep_going`) only earlier chapters run.
                last = min(failed) if failed and not keep_going else sys.maxsize
                todo = [p for p in plan if p.position not in runs and p.position < last]
                return runs | self._execute(todo, keep_going)
        except OSError as exc:
            raise _unwritable(exc, self.cache_dir) from None

    def _from_cache(self, plan: list[Planned], failed_since: float | None = None) -> dict[int, Run]:
        """The runs the cache holds; with `failed_since`, also the failures another build met
        since then (the same code fails the same way: it is not run again, for instance for
        another timeout). An older failure is run again."""
        runs: dict[int, Run] = {}
        for planned in plan:
            outputs = self._load(planned)
            if outputs is not None:
                self.cached.append(planned.chapter.name)
                runs[planned.position] = ChapterRun(planned.chapter, planned.key, outputs, executed=False)
            elif failed_since is not None and (message := self._failure(planned.key, failed_since)):
                runs[planned.position] = ChapterFailure(planned.chapter, message)
        return runs

    def _load(self, planned: Planned) -> tuple[tuple[Output, ...], ...] | None:
        """The cached outputs, or None when there are none (or they cannot be read: then execute again)."""
        text = self.outputs.read_text(planned.key)
        if text is None:
            return None
        try:
            outputs = tuple(tuple(from_json(o) for o in block) for block in json.loads(text)["outputs"])
            if len(outputs) != len(planned.chapter.python_blocks):
                return None
            return at_chapter(outputs, planned.chapter.name, _code_lines(planned.chapter))
        except (ValueError, KeyError, TypeError, IndexError):
            return None

    def _failure(self, key: str, since: float) -> str | None:
        try:
            recent = self.failures.path(key).stat().st_mtime >= since
        except OSError:
            return None
        return self.failures.read_text(key) if recent else None

    def _execute(self, plan: list[Planned], keep_going: bool) -> dict[int, Run]:
        """Run the planned chapters in the pool; store what finished, and the failures."""
        runs: dict[int, Run] = {}
        if not plan:
            return runs
        by_position = {p.position: p for p in plan}
        server = None
        if self.servers is not None:
            server = self.servers.get(self._server_key(), lambda: Server(self.preload, self.project.root))
        pool = Pool(self.workers, self.timeout, self.preload, self.project.root, server)
        try:
            for ended in pool.run([self._work(p) for p in plan], keep_going):
                planned = by_position[ended.position]
                if isinstance(ended, Failed):
                    runs[ended.position] = ChapterFailure(planned.chapter, ended.message)
                    self.failures.write(planned.key, ended.message)  # for a build waiting on the lock
                    continue
                self.failures.remove(planned.key)
                # Places in the outputs are kept relative to their block: see `outputs.block_relative`.
                relative = block_relative(ended.outputs, planned.chapter.name, _code_lines(planned.chapter))
                stored = [[to_json(o) for o in block] for block in relative]
                self.outputs.write(
                    planned.key, json.dumps({"path": planned.chapter.name, "outputs": stored}, ensure_ascii=False)
                )
                self.executed.append(planned.chapter.name)
                runs[ended.position] = ChapterRun(planned.chapter, planned.key, ended.outputs, True, ended.seconds)
        except ServerFailed as exc:
            raise ExecutionError(str(exc)) from None
        return runs

    def _server_key(self) -> str:
        """What a kept server must be started anew for: what it imported (the preload list, at
        the versions the lock file pins), where, and the code it runs (every module it loads
        from this package, read from disk: an edit to the executor restarts it)."""
        digest = hashlib.sha256(_fingerprint())
        digest.update(Path(str(processes_module.__file__)).read_bytes())
        digest.update(json.dumps([sys.executable, str(self.project.root), self.preload]).encode())
        if self.project.lock and self.project.lock.exists():
            digest.update(self.project.lock.read_bytes())
        return digest.hexdigest()

    def _work(self, planned: Planned) -> Work:
        chapter = planned.chapter
        blocks = tuple(BlockRequest(b.code, b.line) for b in chapter.python_blocks)
        # The folder holding the project's package goes first on sys.path: not an installed copy.
        import_paths = (str(self.project.package_dir.parent),)
        request = ChapterRequest(chapter.name, str(self.project.root), blocks, import_paths, self.output_limit)
        return Work(planned.position, chapter.name, chapter.python_blocks, request)


@contextmanager
def execution_lock(cache_dir: Path) -> Iterator[None]:
    """Held while chapters run, and by whoever writes the package they import (a serve tangling):
    builds and serves sharing `cache_dir` run one at a time, and a chapter never runs against
    a package other than the one its key was made from."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        lock = open(cache_dir / "execution.lock", "w")
    except OSError as exc:
        raise _unwritable(exc, cache_dir) from None
    with lock:
        # Asked for again and again rather than waited for in one call: `mkdocs serve` builds in
        # its main thread, and Ctrl-C, delivered by Linux to any of its threads, would not end a
        # wait in `flock` (a serve's run ahead may hold the lock for as long as its chapters run).
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(LOCK_POLL)
        yield


def _unwritable(exc: OSError, cache_dir: Path) -> Exception:
    """A read-only cache: one line that names the path, not a traceback. Other errors as they are."""
    if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
        return exc
    return ExecutionError(
        f"{exc.filename or cache_dir}: cannot write the execution cache ({exc.strerror}); "
        "make the folder writable or delete it"
    )


def _code_lines(chapter: Chapter) -> list[tuple[int, int]]:
    """The first and last code line of each of the chapter's Python blocks."""
    return [(block.line, block.end_line - 1) for block in chapter.python_blocks]


def _raise_first_failure(runs: dict[int, Run]) -> None:
    """ExecutionError for the first failure among `runs` (in reading order), if any."""
    for _, run in sorted(runs.items()):
        if isinstance(run, ChapterFailure):
            raise ExecutionError(run.message)
