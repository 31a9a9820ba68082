"""One Node.js process per build that renders what the pages draw at build time.

KaTeX typesets the math (`math.py`) and Graphviz, compiled to WebAssembly (`@viz-js/viz`),
draws the diagrams (`diagram.py`): both are npm packages of the project (pinned in
package-lock.json), run by `node/render-lines.cjs`, so building the site needs Node and
`npm ci`, and no system package. The process starts on the first request that misses the
callers' caches: a warm build starts none.

Knows nothing of MkDocs, of math or of diagrams: requests and answers are JSON objects, one
per line, answered in order.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from literate.processes import finish

SCRIPT = Path(__file__).with_name("node") / "render-lines.cjs"


class RendererError(ValueError):
    """No way to run the renderer: Node missing or too old, or an npm package not installed."""


class NodeRenderer:
    def __init__(self, node_modules: Path, node: str = "node"):
        self.node_modules = Path(node_modules)
        self.node = node
        self.process: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None  # the process's stderr, a file read when it stops early

    def package_version(self, package: str) -> str:
        """The installed version of an npm package; a clear error if it is not installed."""
        manifest = self.node_modules / package / "package.json"
        if not manifest.is_file():
            raise RendererError(
                f"{manifest} not found: run `npm ci` (the site is rendered at build time with {package})"
            )
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])

    def fingerprint(self, package: str) -> str:
        """What besides its input decides an answer that uses `package`: its version and this renderer's script."""
        return f"{self.package_version(package)} {hashlib.sha256(SCRIPT.read_bytes()).hexdigest()[:16]}"

    def oldest_node(self) -> int:
        """The oldest Node major version the project supports: `engines.node` (">=N") in its package.json."""
        manifest = self.node_modules.parent / "package.json"
        engines = json.loads(manifest.read_text(encoding="utf-8")).get("engines", {}) if manifest.is_file() else {}
        found = re.fullmatch(r"\s*>=\s*(\d+)(?:\.\d+)*\s*", engines.get("node", ""))
        return int(found.group(1)) if found else 0

    def ask(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One answer per request, in order."""
        if not requests:
            return []
        process = self._start()
        stdin, stdout = process.stdin, process.stdout
        assert stdin is not None and stdout is not None, "started with pipes"

        # A writer thread: Node answers while it still reads, and a full pipe must not block both.
        def write() -> None:
            try:
                for request in requests:
                    stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
                stdin.flush()
            except BrokenPipeError:
                pass

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        answers = []
        for _ in requests:
            line = stdout.readline()
            if not line:
                why = self._stopped()
                raise RendererError(f"the Node.js renderer ({SCRIPT.name}) stopped before answering{why}")
            answers.append(json.loads(line))
        writer.join()
        return answers

    def _start(self) -> subprocess.Popen[str]:
        if self.process is None or self.process.poll() is not None:
            node = shutil.which(self.node)
            if node is None:
                raise RendererError(
                    f"`{self.node}` not found: the site's math and diagrams are rendered at build time by "
                    f"Node.js {self.oldest_node() or ''} or newer (https://nodejs.org/ or your system's packages)"
                )
            self._stderr = tempfile.TemporaryFile()
            self.process = subprocess.Popen(
                [node, str(SCRIPT), str(self.oldest_node())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                text=True,
                encoding="utf-8",
                env={**os.environ, "NODE_PATH": str(self.node_modules)},
            )
        return self.process

    def _stopped(self) -> str:
        """What the process said before it stopped (e.g. that this Node is too old)."""
        code: int | None = None
        try:
            code = self.process.wait(timeout=10) if self.process is not None else None
        except subprocess.TimeoutExpired:
            pass
        said = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            said = self._stderr.read().decode("utf-8", "replace").strip()
        self.close()
        return f" (exit code {code})" + (f": {said}" if said else "")

    def close(self) -> None:
        if self.process is not None:
            finish(self.process)
            self.process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
