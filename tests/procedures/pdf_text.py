"""The text of a PDF written by fpdf2, read back through each font's ToUnicode map.

No text extractor is installed (no pypdf, no pdftotext); pyHanko's reader opens the file
and decompresses the content streams, and this module maps the glyph codes of each shown
string back to characters, which is exactly what a reader's copy-and-paste does.
"""

from __future__ import annotations

import re
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader

_STRING = rb"\(((?:\\.|[^\\)])*)\)"
_SHOW = re.compile(rb"/(F\d+) [\d.]+ Tf|" + _STRING + rb" Tj|\[(.*?)\] TJ", re.DOTALL)
_PAIR = re.compile(rb"<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]+)>")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i : i + 1] == b"\\":
            nxt = raw[i + 1 : i + 2]
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(), 8))
                i += 1 + len(octal.group())
                continue
            out += _ESCAPES.get(nxt, nxt)
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def _cmap(font) -> dict[int, str]:  # type: ignore[no-untyped-def]
    data = font.get_object()["/ToUnicode"].get_object().data
    return {
        int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
        for code, text in _PAIR.findall(data)
    }


def pdf_text(data: bytes) -> str:
    """Every shown string of every page, one line per string."""
    reader = PdfFileReader(BytesIO(data))
    lines: list[str] = []
    for page in reader.root["/Pages"]["/Kids"]:
        page = page.get_object()
        fonts = page["/Resources"]["/Font"]
        maps = {name[1:]: _cmap(font) for name, font in fonts.items()}
        contents = page["/Contents"]
        streams = contents if isinstance(contents, list) else [contents]
        current: dict[int, str] = {}
        for stream in streams:
            for match in _SHOW.finditer(stream.get_object().data):
                if match.group(1):
                    current = maps[match.group(1).decode()]
                    continue
                shown = [match.group(2)] if match.group(3) is None else []
                shown += re.findall(_STRING, match.group(3) or b"", re.DOTALL)
                raw = b"".join(_unescape(part) for part in shown)
                codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
                lines.append("".join(current.get(c, "?") for c in codes))
    return "\n".join(lines)
