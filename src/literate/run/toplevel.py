"""Running a block's code as a notebook does: top-level `await` runs, it is not skipped.

Compiled with top-level `await` allowed, a block's code object is a coroutine function's
body, and `exec` only creates the coroutine: the block would silently not run. `run_code`
runs it to its end on one event loop per process (a chapter's process in the build, the test
session in the doc tests), so a task one block starts can be awaited by the next, as in Jupyter.
The build and the doc tests both run blocks through here, so they agree.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
from typing import Any

FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT

_loop: asyncio.AbstractEventLoop | None = None


def run_code(code: Any, namespace: dict[str, Any]) -> Any:
    """Evaluate `code` (compiled with `FLAGS`) in `namespace`; a coroutine it makes is run to its end."""
    result = eval(code, namespace)
    if code.co_flags & inspect.CO_COROUTINE:
        global _loop
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
        result = _loop.run_until_complete(result)
    return result
