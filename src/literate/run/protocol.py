"""What the executor and the fork server say to each other, one frozen type per message.

The executor writes a `Job` (a `ChapterRequest` and the file for its replies) to the
server's stdin, one JSON line each. The server answers on its stdout with `Started` (the
chapter's process id) and `Exited` (its exit code). The chapter's process writes one
`BlockReply` per block to the reply file, a JSON line each. This module imports only the
standard library and `outputs`: the server loads it before torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from literate.run.outputs import Output, from_json, to_json

DEFAULT_OUTPUT_LIMIT = 1_000_000  # characters of output kept per block


@dataclass(frozen=True)
class BlockRequest:
    code: str
    line: int  # the chapter line of the block's first code line


@dataclass(frozen=True)
class ChapterRequest:
    """Run these blocks, in order, in one fresh namespace."""

    path: str  # the chapter, relative to the project root: the file name in tracebacks
    cwd: str
    blocks: tuple[BlockRequest, ...]
    import_paths: tuple[str, ...] = ()  # put first on sys.path: the project's own package
    output_limit: int = DEFAULT_OUTPUT_LIMIT  # characters of output kept per block


@dataclass(frozen=True)
class Job:
    """The envelope the server reads: which job, where to write its replies, what to run."""

    job: int
    reply_file: str
    request: ChapterRequest

    def to_line(self) -> bytes:
        request = self.request
        blocks = [{"code": b.code, "line": b.line} for b in request.blocks]
        body = {
            "path": request.path,
            "cwd": request.cwd,
            "blocks": blocks,
            "import_paths": list(request.import_paths),
            "output_limit": request.output_limit,
        }
        return (json.dumps({"job": self.job, "reply_file": self.reply_file, "request": body}) + "\n").encode()

    @classmethod
    def from_line(cls, line: bytes) -> Job:
        data = json.loads(line)
        body = data["request"]
        blocks = tuple(BlockRequest(b["code"], b["line"]) for b in body["blocks"])
        request = ChapterRequest(body["path"], body["cwd"], blocks, tuple(body["import_paths"]), body["output_limit"])
        return cls(data["job"], data["reply_file"], request)


@dataclass(frozen=True)
class BlockReply:
    """The answer for one block; `done` marks the end of the chapter (no outputs)."""

    index: int
    outputs: tuple[Output, ...] = ()
    done: bool = False

    def to_line(self) -> str:
        return (
            json.dumps({"index": self.index, "outputs": [to_json(o) for o in self.outputs], "done": self.done}) + "\n"
        )

    @classmethod
    def from_line(cls, line: str) -> BlockReply:
        data = json.loads(line)
        return cls(data["index"], tuple(from_json(o) for o in data["outputs"]), data["done"])


@dataclass(frozen=True)
class Started:
    """The server forked the job's process."""

    job: int
    pid: int


@dataclass(frozen=True)
class Exited:
    """The job's process ended with this exit code (negative: killed by that signal)."""

    job: int
    exit_code: int


ServerMessage = Started | Exited


def message_to_line(message: ServerMessage) -> str:
    if isinstance(message, Started):
        return json.dumps({"job": message.job, "pid": message.pid}) + "\n"
    return json.dumps({"job": message.job, "exit": message.exit_code}) + "\n"


def message_from_line(line: bytes) -> ServerMessage:
    data: dict[str, Any] = json.loads(line)
    if "pid" in data:
        return Started(data["job"], data["pid"])
    return Exited(data["job"], data["exit"])
