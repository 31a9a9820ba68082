"""Notebook pages link their figures instead of repeating them inline, and describe them.

nbconvert writes each SVG output as an `<img src="data:image/svg+xml;base64,…">`: a third
larger than the SVG, in the page, and fetched again by every reader of the chapter. The same
SVG is already a site file (the literate plugin names figures by their content), so
`link_figures(html, find, alt_of)` points each such image at the file `find(svg_text)` returns
(leaving the image as it is when `find` returns None), and gives it the alt text `alt_of(svg_text)`
returns: nbconvert gives every such image the same English placeholder, whatever the figure.
"""

from __future__ import annotations

import base64
import binascii
import html as htmllib
import re
from collections.abc import Callable

_IMG = re.compile(r"<img\b[^>]*>")
_DATA_SVG = re.compile(r'\bsrc="data:image/svg\+xml;base64,([A-Za-z0-9+/=\s]+)"')
_ALT = re.compile(r'\salt="[^"]*"')


def link_figures(
    html: str, find: Callable[[str], str | None], alt_of: Callable[[str], str | None] = lambda svg: None
) -> str:
    def one(m: re.Match[str]) -> str:
        tag = str(m[0])
        data = _DATA_SVG.search(tag)
        if data is None:
            return tag
        try:
            svg = base64.b64decode(data[1], validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return tag
        alt = alt_of(svg)
        if alt is not None:
            tag = _ALT.sub("", tag).replace("<img", f'<img alt="{htmllib.escape(alt)}"', 1)
            data = _DATA_SVG.search(tag)
            assert data is not None, "the alt text was put before the source"
        url = find(svg)
        return tag if url is None else f'{tag[: data.start()]}src="{url}"{tag[data.end() :]}'

    return _IMG.sub(one, html)
