"""The face photo given at registration: a real JPEG or PNG of sane size."""

from __future__ import annotations

import hashlib
import struct

from dancu.common.errors import ValidationFailed

MIN_BYTES = 1024
MAX_BYTES = 2 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 100, 4000
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE})


def _bad(message: str, code: str = "identity.photo_invalid") -> ValidationFailed:
    return ValidationFailed(message, code=code, field="photo")


def _png_size(data: bytes) -> tuple[int, int]:
    if data[12:16] != b"IHDR":
        raise _bad("The PNG has no header chunk")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the JPEG segments to the frame header that holds the size."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            raise _bad("The JPEG is damaged")
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    raise _bad("The JPEG has no frame header")


def check_photo(data: bytes, content_type: str) -> str:
    """Validate the photo; returns its SHA-256 (hex)."""
    if not MIN_BYTES <= len(data) <= MAX_BYTES:
        raise _bad("The photo must be between 1 KB and 2 MB", "identity.photo_size")
    if content_type == "image/png" and data.startswith(_PNG):
        width, height = _png_size(data)
    elif content_type == "image/jpeg" and data.startswith(b"\xff\xd8\xff"):
        width, height = _jpeg_size(data)
    else:
        raise _bad("The photo must be a JPEG or PNG image")
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise _bad("The photo must be 100 to 4000 pixels a side", "identity.photo_size")
    return hashlib.sha256(data).hexdigest()
