"""While serving: a saved chapter's code starts running at the save, not when the rebuild reaches it.

A rebuild spends its first quarter second or so loading the config, listing the theme's files
and tangling before it asks for the chapters' outputs. `RunAhead` runs a job (the plugin's:
tangle, then fill the execution cache) in a thread of its own as soon as a save is reported;
the rebuild then finds the outputs in the cache, or waits on the cache's lock for the chapters
still running. A job that meets a problem leaves it to the rebuild, which meets it again and
reports it with the file and line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("mkdocs.plugins.literate")


class RunAhead:
    """One thread running `job(saved paths)` after each save reported, one job at a time: saves
    reported while a job runs are handed to the next one."""

    def __init__(self, job: Callable[[set[Path]], None], expected: tuple[type[Exception], ...]) -> None:
        self.job, self.expected = job, expected
        self._saved: set[Path] = set()
        self._wanted = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="literate-run-ahead", daemon=True)
        self._thread.start()

    def saved(self, path: Path) -> None:
        with self._wanted:
            self._saved.add(path)
            self._wanted.notify()

    def close(self, timeout: float = 10) -> None:
        """No job starts any more; waits up to `timeout` seconds for the one running."""
        with self._wanted:
            self._closed = True
            self._wanted.notify()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            with self._wanted:
                self._wanted.wait_for(lambda: self._saved or self._closed)
                if self._closed:
                    return
                saved, self._saved = self._saved, set()
            try:
                self.job(saved)
            except self.expected as exc:  # the rebuild meets it too, and reports it
                log.debug("literate: left to the rebuild: %s", exc)
            except Exception:  # a fault of this tool: shown, though the rebuild goes on without it
                log.exception("literate: running the saved chapters ahead of the rebuild failed")
