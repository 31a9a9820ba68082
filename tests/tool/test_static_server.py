"""The static server serves a site as a host does: text gzip-compressed when the browser accepts it."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from literate.static_server import main, serve


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    (tmp_path / "zh").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>root</title>" + "x" * 2000, encoding="utf-8")
    (tmp_path / "zh" / "index.html").write_text("<p>首页</p>" + "y" * 2000, encoding="utf-8")
    (tmp_path / "zh" / "font.woff2").write_bytes(b"\x00woff2" * 100)
    return tmp_path


def fetch(url: str, *, gzip_ok: bool = True) -> tuple[dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(response.headers), response.read()


def test_text_is_gzipped_when_accepted(site: Path):
    with serve(site) as base:
        headers, body = fetch(base + "zh/")
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Content-Type"].startswith("text/html")
    assert int(headers["Content-Length"]) == len(body) < 2000
    assert gzip.decompress(body) == (site / "zh" / "index.html").read_bytes()


def test_plain_when_not_accepted_and_for_fonts(site: Path):
    with serve(site) as base:
        plain_headers, plain = fetch(base + "index.html", gzip_ok=False)
        font_headers, font = fetch(base + "zh/font.woff2")
    assert "Content-Encoding" not in plain_headers and plain == (site / "index.html").read_bytes()
    assert "Content-Encoding" not in font_headers and font == (site / "zh" / "font.woff2").read_bytes()


def test_uncompressed_mode_and_missing_files(site: Path):
    with serve(site, compress=False) as base:
        headers, _ = fetch(base + "zh/")
        with pytest.raises(urllib.error.HTTPError) as missing:
            fetch(base + "zh/nothing.html")
    assert "Content-Encoding" not in headers
    assert missing.value.code == 404


def test_command_refuses_a_folder_without_a_site(tmp_path: Path, capsys):
    assert main([str(tmp_path), "--port", "0"]) == 2
    assert "index.html not found" in capsys.readouterr().err
