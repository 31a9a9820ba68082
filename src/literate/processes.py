"""Ending a helper process the tool started (the execution server, Node for the math), written once."""

from __future__ import annotations

import subprocess
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
