"""While serving: which file changes start a rebuild, and which saves start a run ahead of it.

MkDocs' server hands every watched path to one watchdog observer. The plugin gives it one of
these instead: the native observer (inotify on Linux), which reports an edit at once rather
than at the next poll, or MkDocs' polling one; both pass on only changes, and leave out those
a predicate picks (the package the plugin itself tangled). `Saves` picks out chapters saved.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import watchdog.events
import watchdog.observers
import watchdog.observers.polling
from watchdog.observers.api import ObservedWatch

from literate.atomic import temporary_for

# What a rebuild waits for: a file written, made, moved or removed. The native observer also
# reports a file opened or read, and every build reads every page: MkDocs' handler would then
# rebuild after each build, forever.
_CHANGES: list[type[watchdog.events.FileSystemEvent]] = [
    watchdog.events.FileCreatedEvent,
    watchdog.events.FileModifiedEvent,
    watchdog.events.FileMovedEvent,
    watchdog.events.FileDeletedEvent,
    watchdog.events.FileClosedEvent,
]


class Saves(watchdog.events.FileSystemEventHandler):
    """Hands `saved` each chapter written and closed, or moved into place (an editor's save);
    `polled`: any change, as polling reports no close."""

    def __init__(self, saved: Callable[[Path], None], polled: bool) -> None:
        self.saved, self.polled = saved, polled

    def on_any_event(self, event: watchdog.events.FileSystemEvent) -> None:
        if isinstance(event, watchdog.events.FileMovedEvent):
            name = event.dest_path
        elif isinstance(event, watchdog.events.FileClosedEvent) or (
            self.polled and isinstance(event, (watchdog.events.FileModifiedEvent, watchdog.events.FileCreatedEvent))
        ):
            name = event.src_path
        else:
            return
        path = Path(os.fsdecode(name))
        if path.suffix == ".md":
            self.saved(path)


class OwnWrites:
    """The package modules a serve tangled, as it wrote them. An event that leaves each file it
    names as written (or names the temporary file one was written through) is the serve's own
    write, not an edit: MkDocs would otherwise build again after every rebuild that tangled."""

    def __init__(self) -> None:
        self.written: dict[Path, str | None] = {}  # None: removed

    def record(self, changed: dict[Path, str | None]) -> None:
        self.written |= changed

    def __call__(self, event: watchdog.events.FileSystemEvent) -> bool:
        return all(self._as_written(name) for name in (event.src_path, event.dest_path) if name)

    def _as_written(self, name: str | bytes) -> bool:
        path = Path(os.fsdecode(name))
        target = temporary_for(path)
        if target is not None:
            return target in self.written
        if path not in self.written:
            return False
        try:
            now: str | None = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            now = None
        except (OSError, UnicodeDecodeError):
            return False
        return now == self.written[path]


class _Unless(watchdog.events.FileSystemEventHandler):
    """Hands `handler` the events `ignored` does not pick."""

    def __init__(
        self,
        handler: watchdog.events.FileSystemEventHandler,
        ignored: Callable[[watchdog.events.FileSystemEvent], bool],
    ) -> None:
        self.handler, self.ignored = handler, ignored

    def dispatch(self, event: watchdog.events.FileSystemEvent) -> None:
        if not self.ignored(event):
            self.handler.dispatch(event)


class _Ignoring:
    """An observer whose handlers see only changes (`_CHANGES`) that `ignored` does not pick."""

    def __init__(self, ignored: Callable[[watchdog.events.FileSystemEvent], bool], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ignored = ignored

    def schedule(
        self,
        event_handler: watchdog.events.FileSystemEventHandler,
        path: str | Path,
        *,
        recursive: bool = False,
        event_filter: list[type[watchdog.events.FileSystemEvent]] | None = None,
        follow_symlink: bool = False,
    ) -> ObservedWatch:
        watch: ObservedWatch = super().schedule(  # type: ignore[misc]
            _Unless(event_handler, self.ignored),
            path,
            recursive=recursive,
            event_filter=event_filter or _CHANGES,
            follow_symlink=follow_symlink,
        )
        return watch


# watchdog names the platform's observer class through a variable, which mypy cannot subclass.
class ChangeObserver(_Ignoring, watchdog.observers.Observer):  # type: ignore[misc,valid-type]
    """watchdog's native observer (inotify on Linux)."""


class PollingObserver(_Ignoring, watchdog.observers.polling.PollingObserver):
    """MkDocs' observer: the files' state read every `timeout` seconds."""
