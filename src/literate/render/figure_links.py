"""Notebook pages link their figures instead of repeating them inline.

nbconvert writes each SVG output as an `<img src="data:image/svg+xml;base64,…">`: a third
larger than the SVG, in the page, and fetched again by every reader of the chapter. The same
SVG is already a site file (the literate plugin names figures by their content), so
`link_figures(html, find)` points each such image at the file `find(svg_text)` returns, and
leaves the image as it is when `find` returns None.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

_DATA_SVG = re.compile(r'(<img\b[^>]*\bsrc=")data:image/svg\+xml;base64,([A-Za-z0-9+/=\s]+)(")')


def link_figures(html: str, find: Callable[[str], str | None]) -> str:
    def one(m: re.Match[str]) -> str:
        try:
            svg = base64.b64decode(m[2], validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return str(m[0])
        url = find(svg)
        return str(m[0]) if url is None else f"{m[1]}{url}{m[3]}"

    return _DATA_SVG.sub(one, html)
