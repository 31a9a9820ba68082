"""`mkdocs serve` on a book folder, for the tests and the author's-loop benchmark: started on a
free port, its log read line by line as it comes, its pages fetched, stopped by a signal."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from builds import free_port


class Served:
    def __init__(self, book: Path, env: dict[str, str] | None = None):
        self.book = book
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{free_port()}", "--livereload"],
            cwd=book,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []  # every line a wait has read
        self.base = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 120) -> list[str]:
        """The log lines up to the first that holds `text` (read from where the last wait stopped)."""
        seen, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, "mkdocs serve ended:\n" + "".join(self.log + seen)
                continue
            seen.append(line)
            if "Serving on " in line:
                self.base = line.split("Serving on ", 1)[1].strip()
            if text in line:
                self.log += seen
                return seen
        raise AssertionError(f"no {text!r} in the log within {timeout} s:\n" + "".join(self.log[-30:] + seen))

    def skip_log(self) -> None:
        """Drop what the log holds so far: the next wait reads what comes after."""
        while not self.lines.empty():
            self.log.append(self.lines.get())

    def edit(self, path: str, old: str, new: str) -> None:
        file = self.book / path
        text = file.read_text(encoding="utf-8")
        assert old in text, (path, old)
        file.write_text(text.replace(old, new), encoding="utf-8")

    def rebuild(self, path: str, old: str, new: str) -> list[str]:
        """Edit a file of the book; the log from the edit to the end of the rebuild that follows
        (a saved chapter's run ahead of the rebuild may log before MkDocs says it saw the edit)."""
        self.skip_log()
        self.edit(path, old, new)
        return self.wait_for("Detected file changes") + self.wait_for("Reloading browsers")

    def page(self, path: str, timeout: float = 60) -> str:
        with urllib.request.urlopen(self.base + path, timeout=timeout) as response:
            return response.read().decode("utf-8")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> None:
        """Signal the serve and wait for it; killed if it does not end within `timeout`."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
