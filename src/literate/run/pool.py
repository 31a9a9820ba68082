"""Run chapters side by side, each in a fresh process forked from one server that imported torch once.

The server is `python -m literate.run.worker` (see there). Every chapter process starts as a copy
of it: no import to pay, and no state from another chapter (threads, random generators,
module globals, matplotlib settings). A chapter that fails, runs out of time or dies is
reported with the chapter file and line of the block it was in.
"""

from __future__ import annotations

import itertools
import os
import platform
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from literate.processes import finish
from literate.run.outputs import Error, Output
from literate.run.protocol import BlockReply, ChapterRequest, Job, ServerMessage, Started, message_from_line
from literate.source.blocks import Block

# For the server, which reads them when it imports torch and matplotlib: no display, a fixed
# hash seed, and (unless the caller chose otherwise) one math thread, for the same summation
# order on every machine and no contention between chapters running side by side.
SERVER_ENVIRONMENT = {"MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
SERVER_DEFAULTS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


# Address space layout randomization off for the server, so every server lays its memory out
# alike: matplotlib's layout then rounds the same way in every build (with it on, a figure's
# coordinates differed in their fifth decimal from one server to the next).
_SETARCH = shutil.which("setarch")
_FIXED_ADDRESSES = [_SETARCH, platform.machine(), "-R"] if _SETARCH and sys.platform == "linux" else []


class ServerFailed(Exception):
    """The execution server itself stopped."""


@dataclass(frozen=True)
class Work:
    """A chapter to run: its place in reading order, its name for messages, its blocks."""

    position: int
    name: str
    blocks: tuple[Block, ...]
    request: ChapterRequest


@dataclass(frozen=True)
class Finished:
    position: int
    outputs: tuple[tuple[Output, ...], ...]
    seconds: float


@dataclass(frozen=True)
class Failed:
    position: int
    message: str  # starts with `file:line`


@dataclass
class Running:
    """A chapter whose process the server has been asked to start."""

    work: Work
    number: int  # the job's number with the server
    reply_file: Path
    deadline: float  # until the chapter starts, the request's; then its start + the timeout
    started: float = field(default_factory=time.monotonic)  # the request, then the chapter's start
    pid: int | None = None
    timed_out: bool = False

    def stop(self) -> None:
        """Kill the chapter's process group (the chapter and whatever it started)."""
        if self.pid is not None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def replies(self) -> list[BlockReply]:
        try:
            lines = self.reply_file.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        return [BlockReply.from_line(line) for line in lines if line.strip()]


def describe_error(name: str, block: Block, error: Error) -> str:
    """`file:line: Type: message`, then the chapter lines the exception passed through."""
    line = error.frames[-1].line if error.frames else block.line
    head = f"{name}:{line}: {error.ename}: {error.evalue}"
    trail = "".join(f"\n  {name}:{f.line}: {f.text}" for f in error.frames)
    return head + (f"\n  in the block starting at line {block.line}:" + trail if trail else "")


def outcome(job: Running, exit_code: int, timeout: float) -> Finished | Failed:
    """What a chapter's ended process left: its outputs, or the failure message."""
    replies = job.replies()
    work = job.work
    if replies and replies[-1].done:
        outputs = tuple(r.outputs for r in replies[:-1])
        return Finished(work.position, outputs, time.monotonic() - job.started)
    if replies and replies[-1].outputs and isinstance(replies[-1].outputs[-1], Error):
        return Failed(work.position, describe_error(work.name, work.blocks[replies[-1].index], replies[-1].outputs[-1]))
    block = work.blocks[min(len(replies), len(work.blocks) - 1)]
    if job.timed_out:
        return Failed(
            work.position,
            f"{work.name}:{block.line}: timed out: the chapter ran longer than {timeout:g} s; "
            f"this block (lines {block.line}-{block.end_line - 1}) was still running and was stopped",
        )
    return Failed(
        work.position,
        f"{work.name}:{block.line}: the chapter's process ended while running this block "
        f"(exit code {exit_code}); a block must not end the interpreter (os._exit) or kill its process",
    )


class Server:
    """The execution server (`python -m literate.run.worker`): imports `preload` once, then forks
    a process per chapter. One build's own, or kept for every rebuild of `mkdocs serve`
    (`KeptServer`); either way it serves one run at a time."""

    def __init__(self, preload: list[str], cwd: Path):
        # Not the build's own settings (LITERATE_WORKERS, ...): a chapter must compute the same
        # bytes however the build runs it, and even the size of the environment shifts where the
        # server's memory lies, and with it the last bits of some vectorized sums.
        environment = {k: v for k, v in os.environ.items() if not k.startswith("LITERATE_")}
        environment.update(SERVER_ENVIRONMENT)
        for key, value in SERVER_DEFAULTS.items():
            environment.setdefault(key, value)
        # In the build's process group, so a signal that stops the build stops the server too;
        # its chapter processes die with it.
        self.process = subprocess.Popen(
            [*_FIXED_ADDRESSES, sys.executable, "-m", "literate.run.worker", *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=cwd,
            env=environment,
        )
        self._buffer = b""
        # Job numbers are never reused, so a message about a job of an earlier run (one stopped
        # as that run ended) cannot be taken for one of this run.
        self._numbers = itertools.count()

    def number(self) -> int:
        return next(self._numbers)

    def alive(self) -> bool:
        return self.process.poll() is None

    def messages(self, timeout: float) -> list[ServerMessage]:
        """The server's messages that arrive within `timeout` seconds (at least one, unless it runs out)."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        if b"\n" not in self._buffer and select.select([fd], [], [], max(0.0, timeout))[0]:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise ServerFailed(f"the execution server stopped (exit code {self.process.wait()})")
            self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        return [message_from_line(line) for line in lines]

    def send(self, job: Job) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(job.to_line())
        self.process.stdin.flush()

    def close(self) -> None:
        """End the server: closing its input lets it finish; it is killed if it does not."""
        finish(self.process)


class KeptServer:
    """One server for every build of a long-lived process (`mkdocs serve`): started on first use,
    started anew when what it imported or runs changes (its `key`: the lock file, the preload
    list, the executor's source), and ended by `close` (when the serve ends): a build still
    asking for it afterwards (its thread outliving the serve's end) gets ServerFailed."""

    def __init__(self) -> None:
        self.server: Server | None = None
        self.key: str | None = None
        self.started = 0  # servers started so far (the tests count them)
        self.closed = False
        self._lock = threading.Lock()  # a serve's rebuild and its run ahead (`run.ahead`) ask from two threads

    def get(self, key: str, start: Callable[[], Server]) -> Server:
        with self._lock:
            if self.closed:
                raise ServerFailed("the execution server was ended with the serve")
            if self.server is not None and (self.key != key or not self.server.alive()):
                self._end_server()
            if self.server is None:
                self.server, self.key = start(), key
                self.started += 1
            return self.server

    def close(self) -> None:
        """End the server now, and any chapter it still runs (its SIGTERM handler ends them)."""
        with self._lock:
            self.closed = True
            self._end_server()

    def _end_server(self) -> None:
        if self.server is not None:
            if self.server.alive():
                self.server.process.terminate()
            self.server.close()
            self.server, self.key = None, None


class Pool:
    """Runs chapters, at most `workers` at once, in processes forked from one server.

    With `server` the pool uses that (kept) server and leaves it running; without, it starts
    its own and ends it when the run ends."""

    def __init__(self, workers: int, timeout: float, preload: list[str], cwd: Path, server: Server | None = None):
        self.workers, self.timeout = max(1, workers), timeout
        self.own_server = server is None
        self.server = Server(preload, cwd) if server is None else server
        self._held: list[ServerMessage] = []  # read while looking for a process id, not yet handled

    def _messages(self, timeout: float) -> list[ServerMessage]:
        if self._held:
            held, self._held = self._held, []
            return held
        return self.server.messages(timeout)

    def run(self, work: list[Work], keep_going: bool = False) -> Iterator[Finished | Failed]:
        """Run every chapter; yield a `Finished` or `Failed` for each as it ends.

        Unless `keep_going`, a failure stops the chapters after it in reading order (they yield
        nothing) while the earlier ones run to their end: the first failure in reading order is
        then always among those yielded, whatever the number of workers or the timing.
        """
        pending = sorted(work, key=lambda w: w.position)
        running: dict[int, Running] = {}  # by job number
        first_failure = len(work) + 1 + max((w.position for w in work), default=0)
        with tempfile.TemporaryDirectory(prefix="literate-") as folder:
            try:
                while pending or running:
                    while pending and len(running) < self.workers:
                        item = pending.pop(0)
                        number = self.server.number()
                        job = Running(item, number, Path(folder) / f"{number}.jsonl", time.monotonic() + self.timeout)
                        running[number] = job
                        self.server.send(Job(number, str(job.reply_file), item.request))
                    deadlines = [job.deadline for job in running.values() if not job.timed_out]
                    wait = min(deadlines) - time.monotonic() if deadlines else 1.0
                    for message in self._messages(wait):
                        if message.job not in running:
                            continue
                        job = running[message.job]
                        if isinstance(message, Started):
                            # The chapter's time and its timeout count from here, not from the
                            # request: a server still importing what it preloads is not the
                            # chapter's time, and a kill sent before the chapter has made its
                            # process group (first thing it does) would find no group and be lost.
                            job.pid, job.started = message.pid, time.monotonic()
                            job.deadline = job.started + self.timeout
                            continue
                        del running[message.job]
                        result = outcome(job, message.exit_code, self.timeout)
                        yield result
                        if isinstance(result, Failed) and not keep_going:
                            first_failure = min(first_failure, result.position)
                            pending = [w for w in pending if w.position < first_failure]
                            for number, later in list(running.items()):
                                if later.work.position > first_failure:
                                    self._stop(later)  # its exit message will come; it is then dropped
                                    del running[number]
                    now = time.monotonic()
                    for job in running.values():
                        if job.deadline <= now and not job.timed_out and job.pid is not None:
                            job.timed_out = True
                            job.stop()
            finally:
                for job in running.values():
                    self._stop(job)
                if self.own_server:
                    self.close()

    def _stop(self, job: Running) -> None:
        """Stop a chapter's process; a kept server outlives this run, so a chapter it was asked
        to start must be stopped even before the server has said which process it is."""
        if job.pid is None and not self.own_server:
            self._learn_pid(job)
        job.stop()

    def _learn_pid(self, job: Running, patience: float = 5.0) -> None:
        """Read the server's messages until the one naming `job`'s process (or until `patience`
        runs out: then the server, unanswering, is ended, and its chapters with it)."""
        deadline = time.monotonic() + patience
        try:
            while job.pid is None and time.monotonic() < deadline:
                for message in self.server.messages(deadline - time.monotonic()):
                    if isinstance(message, Started) and message.job == job.number:
                        job.pid = message.pid
                    else:
                        self._held.append(message)  # another job's: the run handles it
        except ServerFailed:
            return
        if job.pid is None:
            self.close()

    def close(self) -> None:
        self.server.close()
