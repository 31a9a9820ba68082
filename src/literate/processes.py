"""Ending processes: a helper the tool started (the execution server, Node for the math), and
whatever a chapter started, however deep and in whatever session."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Collection
from typing import Any

GRACE = 10.0  # seconds a helper may take to finish what it was asked once its input is closed


def finish(process: subprocess.Popen[Any], grace: float = GRACE) -> None:
    """Close the process's input so that it finishes its work and exits; kill it if it does not
    within `grace` seconds. Its output pipe is closed too."""
    if process.stdin is not None:
        try:
            process.stdin.close()
        except BrokenPipeError:
            pass  # it stopped reading: waiting (and killing) still applies
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _parents() -> dict[int, int]:
    """Every visible process's parent, read from /proc (Linux; empty elsewhere)."""
    parents: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return parents
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                # The command name in parentheses may hold spaces: the fields after its last ")".
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue  # it ended meanwhile
        parents[int(name)] = int(fields[1])
    return parents


def descendants(pid: int) -> list[int]:
    """The processes below `pid`: its children, theirs, and so on (a snapshot)."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def become_subreaper() -> bool:
    """Make this process the one that inherits its orphaned descendants (Linux's
    PR_SET_CHILD_SUBREAPER), so that a child that started its own session and lost its parent
    is still found below it. False where the system has no such call."""
    try:
        return bool(ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def end_descendants(pid: int | None = None, spare: Collection[int] = ()) -> None:
    """Kill every process below `pid` (this process by default), except the subtrees of `spare`,
    and reap those that are this process's children. Repeated until none is left, since one may
    start another between a snapshot and the kill."""
    root = os.getpid() if pid is None else pid
    for _ in range(100):
        spared = set(spare)
        for kept in spare:
            spared.update(descendants(kept))
        victims = [p for p in descendants(root) if p not in spared]
        if not victims:
            break
        for victim in victims:
            try:
                os.kill(victim, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        reap(spare)
        time.sleep(0.001)
    reap(spare)


def reap(spare: Collection[int] = ()) -> None:
    """Collect this process's ended children, except those in `spare` (waited for elsewhere)."""
    for child, parent in _parents().items():
        if parent == os.getpid() and child not in spare:
            try:
                os.waitpid(child, os.WNOHANG)
            except ChildProcessError:
                pass
