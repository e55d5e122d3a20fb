"""Tests for dancu.common.textfold."""

from __future__ import annotations

import unicodedata

import pytest

from dancu.common.textfold import fold, fold_tokens, normalize_name

# Vietnamese marks as combining characters.
TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # ngang huyền sắc ngã hỏi nặng
VOWELS_NFD = (
    "a",
    "a\u0306",  # ă
    "a\u0302",  # â
    "e",
    "e\u0302",  # ê
    "i",
    "o",
    "o\u0302",  # ô
    "o\u031b",  # ơ
    "u",
    "u\u031b",  # ư
    "y",
)


def vietnamese_letters() -> dict[str, str]:
    """Every precomposed Vietnamese letter (upper and lower) -> its ASCII base, via unicodedata."""
    letters: dict[str, str] = {"đ": "d", "Đ": "d"}
    for vowel in VOWELS_NFD:
        for tone in TONES:
            for case in (str.lower, str.upper):
                ch = unicodedata.normalize("NFC", case(vowel) + tone)
                assert len(ch) == 1, f"{vowel + tone!r} has no precomposed form"
                if not ch.isascii():
                    letters[ch] = vowel[0]
    return letters


def reference_fold(text: str) -> str:
    """Straightforward NFD-based folding the fast path must agree with."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = unicodedata.normalize("NFC", stripped)
    stripped = stripped.replace("đ", "d").replace("ð", "d")  # Ð/ð lower to ð
    return " ".join(stripped.split())


def test_vietnamese_letter_set_is_complete() -> None:
    letters = vietnamese_letters()
    assert len(letters) == 134  # (12 vowels x 6 tones - 6 plain ASCII) x 2 cases + đ, Đ
    assert {"ạ", "Ặ", "ỗ", "Ữ", "ỹ", "Ỵ", "ơ", "Ư"} <= letters.keys()


def test_fast_path_agrees_with_reference_on_every_vietnamese_letter() -> None:
    for ch, base in vietnamese_letters().items():
        assert fold(ch) == base == reference_fold(ch), ch
        nfd = unicodedata.normalize("NFD", ch)
        assert fold(nfd) == base, repr(nfd)
        assert fold(f"x{ch}Y {ch}") == reference_fold(f"x{ch}Y {ch}")


@pytest.mark.parametrize(
    "text",
    [
        "Ça va, Müller?",
        "İstanbul ÅNGSTRÖM straße ẞ",
        "Øre Łódź ﬁ ǅ",
        "Йошкар-Ола",
        "и\u0306",  # NFD Cyrillic
        "東京 서울 😀",
        "Ｎｇｕｙễｎ",  # full-width
        "a\u20dd b\u1ab0",  # combining marks outside U+0300-U+036F
        "ÐẶNG ðức",
        "",
        "   ",
    ],
)
def test_fast_path_agrees_with_reference_on_other_text(text: str) -> None:
    assert fold(text) == reference_fold(text)
    nfd = unicodedata.normalize("NFD", text)
    assert fold(nfd) == reference_fold(nfd)


def test_fast_path_agrees_with_reference_on_all_latin_letters() -> None:
    for start, stop in ((0x00C0, 0x0250), (0x1E00, 0x1F00), (0x0300, 0x0370)):
        for cp in range(start, stop):
            text = f"A{chr(cp)}b"
            assert fold(text) == reference_fold(text), hex(cp)


@pytest.mark.parametrize(
    "text",
    [
        "Nguyễn Văn An",
        "nguyen van an",
        "NGUYỄN VĂN AN",
        "  Nguyễn\tVăn \n An  ",
        "Nguyễn\u00a0Văn  An",
        unicodedata.normalize("NFD", "Nguyễn Văn An"),
        unicodedata.normalize("NFD", "  NGUYỄN\t\tvăn an "),
    ],
)
def test_fold_examples(text: str) -> None:
    assert fold(text) == "nguyen van an"


def test_fold_d_stroke() -> None:
    assert fold("Đặng Đình Đức") == "dang dinh duc"
    assert fold("đường") == "duong"


def test_fold_tokens() -> None:
    assert fold_tokens("  Trần   Thị\tHƯƠNG ") == ["tran", "thi", "huong"]
    assert fold_tokens("") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nguyễn  văn AN", "Nguyễn Văn An"),
        ("ĐẶNG thị", "Đặng Thị"),
        ("  lê\thoàng  phương thảo ", "Lê Hoàng Phương Thảo"),
        (unicodedata.normalize("NFD", "ĐẶNG thị ỚT"), "Đặng Thị Ớt"),
        ("h'hen niê", "H'Hen Niê"),
        ("jean-PIERRE", "Jean-Pierre"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("", ""),
    ],
)
def test_normalize_name(text: str, expected: str) -> None:
    result = normalize_name(text)
    assert result == expected
    assert unicodedata.is_normalized("NFC", result)
    assert normalize_name(result) == result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x00", ""),
        (" \x00\x01\x1f\x7f ", ""),
        ("An\x00", "an"),
        ("Nguy\x00ễn\x85Văn", "nguy en van"),
    ],
)
def test_fold_treats_control_characters_as_spaces(text: str, expected: str) -> None:
    """A NUL folded to a key of its own; a search for it matched every citizen."""
    assert fold(text) == expected
