"""Serve a built site as a static host does: text gzip-compressed for a browser that accepts it.

GitHub Pages, nginx with `gzip on` and Netlify all compress HTML, CSS, scripts, SVG and JSON
on the way out; Python's `http.server` does not, and a page measured through it weighs and
loads as no reader's would. One server for trying the built site, for the browser tests and
for `scripts/lighthouse.py`:

    python -m literate.static_server [site] [--port 8000]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Fonts and images are compressed already; these are the text types hosts compress.
COMPRESSED_SUFFIXES = (".html", ".css", ".js", ".json", ".svg", ".ipynb", ".xml", ".txt")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """The standard handler, without a log line per request."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@functools.lru_cache(maxsize=512)
def gzipped(path: Path, mtime_ns: int, size: int) -> bytes:
    """A file's bytes compressed once, not on every request (every page asks for the same
    stylesheets and scripts); keyed by its time and size too, so a file written again is
    compressed again."""
    return gzip.compress(path.read_bytes(), mtime=0)


class CompressingHandler(QuietHandler):
    """Text gzip-compressed (`Content-Encoding: gzip`) when the request accepts it."""

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.is_file() and path.suffix in COMPRESSED_SUFFIXES):
            super().do_GET()
            return
        stat = path.stat()
        body = gzipped(path, stat.st_mtime_ns, stat.st_size)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that leaves a page while it loads (the root page moving on to an edition)
        # hangs up on the response: not an error of the site.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def make_server(directory: Path, port: int = 0, *, compress: bool = True, host: str = "127.0.0.1") -> Server:
    """A server of `directory` on `host:port` (port 0: a free one), not yet serving."""
    handler = functools.partial(CompressingHandler if compress else QuietHandler, directory=str(directory))
    return Server((host, port), handler)


@contextmanager
def serve(directory: Path, port: int = 0, *, compress: bool = True) -> Iterator[str]:
    """Serve `directory` on `port` (by default a free one) of 127.0.0.1 from a thread; yield its base URL.
    `compress`: text gzip-compressed, as a static host serves it."""
    server = make_server(directory, port, compress=compress)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m literate.static_server", description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default="site", type=Path, help="the built site (default: site)")
    parser.add_argument("--port", type=int, default=8000, help="default 8000, the port `make site` builds for")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    if not (args.directory / "index.html").is_file():
        print(f"error: {args.directory}/index.html not found: build the site first (make site)", file=sys.stderr)
        return 2
    server = make_server(args.directory.resolve(), args.port, host=args.host)
    print(f"serving {args.directory} gzip-compressed at http://{args.host}:{server.server_port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
