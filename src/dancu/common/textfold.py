"""Vietnamese text folding for search keys and name normalisation for storage.

``fold`` is called once per row on million-row bulk loads, so it avoids per-character
Unicode normalisation: a translation table, built once from :mod:`unicodedata`, maps every
precomposed Latin letter (Vietnamese ones included, both cases) to its lowercase ASCII base
letter and deletes combining marks (so decomposed NFD input folds the same way). Only text
that is still non-ASCII afterwards (e.g. CJK, "ß", "ø") goes through the slower NFD path.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "fold_tokens", "normalize_name"]

# Letters that do not decompose under NFD but should fold to "d": Vietnamese đ/Đ, plus the
# look-alike Icelandic eth Ð/ð that legacy VNI/TCVN3 conversions sometimes produce for Đ.
_EXTRA = {"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"}

# Latin-1 Supplement, Latin Extended-A/B and Latin Extended Additional (all of Vietnamese).
_LATIN_RANGES = ((0x00C0, 0x0250), (0x1E00, 0x1F00))
_COMBINING = range(0x0300, 0x0370)  # Combining Diacritical Marks block


def _strip_marks(text: str) -> str:
    """NFD ``text`` and drop every combining mark, then recompose what is left."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {cp: None for cp in _COMBINING if unicodedata.combining(chr(cp))}
    for start, stop in _LATIN_RANGES:
        for cp in range(start, stop):
            base = _strip_marks(chr(cp))
            if len(base) == 1 and base.isascii() and base.isalpha():
                table[cp] = base.lower()
    for ch, repl in _EXTRA.items():
        table[ord(ch)] = repl
    table.update(_CONTROLS)
    return table


# Control characters (NUL included) separate words like a space: a key made of them is empty.
_CONTROLS: dict[int, str | None] = {cp: " " for cp in (*range(0x00, 0x20), *range(0x7F, 0xA0))}
_TABLE = _build_table()
_SLOW_EXTRA = str.maketrans(_EXTRA)


def _fold_slow(text: str) -> str:
    """Reference folding for whatever the table did not cover."""
    return _strip_marks(text.lower()).translate(_SLOW_EXTRA)


def fold(text: str) -> str:
    """Search key: lowercase, no diacritics, đ → d, single spaces, stripped; control
    characters (NUL included) count as spaces.

    >>> fold("  Nguyễn\\tVăn  AN\\x00")
    'nguyen van an'
    """
    if text.isascii():  # common case for already-folded keys: skip the table entirely
        if not text.isprintable():
            text = text.translate(_CONTROLS)
        return " ".join(text.lower().split())
    folded = text.translate(_TABLE)
    if not folded.isascii():
        folded = _fold_slow(folded)
    return " ".join(folded.lower().split())


def fold_tokens(text: str) -> list[str]:
    """The folded words of ``text``."""
    return fold(text).split()


_SEGMENT_SEP = re.compile(r"([-'’])")


def _title_word(word: str) -> str:
    # Capitalise each hyphen/apostrophe segment: "h'hen" -> "H'Hen", "ĐẶNG" -> "Đặng".
    parts = _SEGMENT_SEP.split(word)
    return "".join(p[:1].upper() + p[1:].lower() for p in parts)


# The Icelandic eth looks like Đ and comes out of legacy VNI/TCVN3 conversions: stored as Đ.
_ETH = str.maketrans({"Ð": "Đ", "ð": "đ"})


def normalize_name(text: str) -> str:
    """Name for storage: NFC, single spaces (non-breaking ones too), each word capitalised
    Vietnamese-style, the look-alike eth (U+00D0) written as Đ (U+0110).

    >>> normalize_name("nguyễn  văn AN")
    'Nguyễn Văn An'
    """
    words = unicodedata.normalize("NFC", text).translate(_ETH).split()
    return " ".join(_title_word(w) for w in words)
