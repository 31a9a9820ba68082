"""Execute chapters in a shared worker process, with a cache keyed on everything that shapes the outputs.

A chapter's outputs are reused while these are unchanged: its Python blocks'
code and options, the source of the tangled package modules it imports, the
lock file of pinned dependencies, the Python version and this executor's own
source. Prose is not part of the key, so editing it executes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import outputs as outputs_module
from . import worker as worker_module
from .atomic import write_atomic
from .blocks import Block, Chapter
from .deps import package_modules
from .outputs import BlockReply, BlockRequest, ChapterRequest, Error, Output, from_json, to_json
from .project import Project

DEFAULT_TIMEOUT = 600.0  # seconds per chapter
ORIGIN_MARKER = re.compile(rb"^# %% .*$", re.M)


class ExecutionError(Exception):
    """A block failed or timed out; the message starts with `chapter.md:line`."""


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
    for path in (Path(worker_module.__file__), Path(outputs_module.__file__), Path(__file__)):
        digest.update(path.read_bytes())
    return digest.digest()


class Worker:
    """One `python -m literate.worker` process, its own process group, killed on timeout."""

    def __init__(self, cwd: Path):
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
        # One math thread unless told otherwise: the same floating-point summation order on any
        # machine (reproducible outputs), and no thread contention with the rest of the build.
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env.setdefault(name, "1")
        self.cwd = cwd
        self.process = subprocess.Popen(
            [sys.executable, "-m", "literate.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
        self._buffer = b""

    def _read_reply(self, deadline: float) -> BlockReply | None:
        """The next reply, or None when the deadline passes first. EOF raises EOFError."""
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EOFError
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return BlockReply.from_json(json.loads(line))

    def run(self, name: str, blocks: tuple[Block, ...], timeout: float) -> tuple[tuple[Output, ...], ...]:
        request = ChapterRequest(name, str(self.cwd), tuple(BlockRequest(b.code, b.line) for b in blocks))
        self.process.stdin.write((json.dumps(request.to_json()) + "\n").encode())
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        results: list[tuple[Output, ...]] = []
        while True:
            index = len(results)
            try:
                reply = self._read_reply(deadline)
            except EOFError:
                self.kill()
                raise ExecutionError(
                    f"{name}:{blocks[index].line}: the worker process died while running this block "
                    f"(exit code {self.process.returncode})"
                ) from None
            if reply is None:
                self.kill()
                block = blocks[index]
                raise ExecutionError(
                    f"{name}:{block.line}: timed out: the chapter ran longer than {timeout:g} s; "
                    f"this block (lines {block.line}-{block.end_line - 1}) was still running and was stopped"
                )
            if reply.done:
                return tuple(results)
            results.append(reply.outputs)
            if reply.outputs and isinstance(reply.outputs[-1], Error):
                raise ExecutionError(describe_error(name, blocks[index], reply.outputs[-1]))

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


def describe_error(name: str, block: Block, error: Error) -> str:
    """`file:line: Type: message`, then the chapter lines the exception passed through."""
    line = error.frames[-1].line if error.frames else block.line
    head = f"{name}:{line}: {error.ename}: {error.evalue}"
    trail = "".join(f"\n  {name}:{f.line}: {f.text}" for f in error.frames)
    return head + (f"\n  in the block starting at line {block.line}:" + trail if trail else "")


@dataclass
class Executor:
    """Runs chapters, from the cache when it can; starts the worker only on the first miss."""

    project: Project
    cache_dir: Path
    timeout: float = DEFAULT_TIMEOUT
    executed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    _worker: Worker | None = None

    def __post_init__(self):
        self.cache_dir = Path(self.cache_dir)
        self._base = hashlib.sha256(_fingerprint())
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

    def run(self, chapter: Chapter) -> ChapterRun:
        blocks = chapter.python_blocks
        key = self.key(blocks)
        cache_file = self.cache_dir / f"{key}.json"
        outputs = self._load(cache_file, len(blocks))
        if outputs is not None:
            os.utime(cache_file)  # last use, for evict_unused()
            self.cached.append(chapter.name)
            return ChapterRun(chapter, key, outputs, executed=False)
        start = time.monotonic()
        if self._worker is None or not self._worker.alive:
            self._worker = Worker(self.project.root)
        try:
            outputs = self._worker.run(chapter.name, blocks, self.timeout)
        except ExecutionError:
            self.close()  # the worker's state after a failure is not to be trusted
            raise
        seconds = time.monotonic() - start
        self._store(cache_file, {"path": chapter.name, "outputs": [[to_json(o) for o in b] for b in outputs]})
        self.executed.append(chapter.name)
        return ChapterRun(chapter, key, outputs, executed=True, seconds=seconds)

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

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None


def evict_unused(folder: Path, days: float = 30) -> int:
    """Delete cache entries (`*.json` files, and the folders under `files/`) not used for `days`;
    returns how many went."""
    cutoff = time.time() - days * 86400
    gone = 0
    for entry in [*Path(folder).glob("*.json"), *Path(folder).glob("files/*")]:
        if entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink(missing_ok=True)
            gone += 1
    return gone
