"""Where a browser may be sent after a page: only a path of this site (no open redirect).

A redirect target that arrives with a request (``next`` after signing in, stepping up or the
development sign-in) is checked here, and only here. The check must hold for the browser,
not only for Python: the URL parser of browsers (``new URL()``, ``Location``) silently drops
tabs and newlines and reads a backslash as a slash, so ``/\\t/evil.example`` looks local to a
naive test yet leads to ``//evil.example``. So the target is refused, never cleaned up,
when it holds anything a browser may read differently from what was checked.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

MAX_LENGTH = 2048
# Unicode categories a browser may drop, hide or treat as a separator: controls, format
# characters (zero-width, bidi), separators (spaces, line and paragraph), unassigned, private.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}
_DECODE_ROUNDS = 4  # %252F is %2F once decoded, / twice; more rounds than that is refused


def local_path(target: str | None, default: str) -> str:
    """``target`` if it is a path of this site that every reader takes as such, else
    ``default``: it starts with one ``/`` (no ``//``, no ``/\\``, so no other host), has no
    scheme, no backslash, no control, invisible or white-space character anywhere, and its
    path (before ``?`` or ``#``) stays so when percent-decoded (``/%2F%2Fevil.example`` is
    refused: a server or proxy that decodes it once would read ``//evil.example``)."""
    if not target or len(target) > MAX_LENGTH or not _plain(target):
        return default
    path = target.split("?", 1)[0].split("#", 1)[0]
    decoded = _decoded(path)
    if decoded is None or not decoded.isascii() or not _plain(decoded):
        return default
    segments = decoded.split("/")
    if not decoded.startswith("/") or "" in segments[1:-1] or {".", ".."} & set(segments):
        return default  # "//" anywhere, or a dot segment: no legitimate page has them
    return target


def _plain(text: str) -> bool:
    return (
        text.startswith("/")
        and not text.startswith(("//", "/\\"))
        and "\\" not in text
        and not any(unicodedata.category(ch) in _INVISIBLE for ch in text)
    )


def _decoded(path: str) -> str | None:
    """The path percent-decoded until it no longer changes; None if it never settles or
    decodes to bytes that are no UTF-8 text."""
    for _ in range(_DECODE_ROUNDS):
        try:
            once = unquote(path, errors="strict")
        except UnicodeDecodeError:  # %FF: bytes that are no text
            return None
        if once == path:
            return path
        path = once
    return None
