"""Normalisation of sector data before it is matched to the registry (pure functions).

Every function returns a :class:`Normalized`: the normalised ``value`` (``None`` when there
is nothing usable) and a ``problem`` code when the input could not be taken as it is. A
problem does not always mean the value is lost: ``date.day_month_swapped`` returns the
repaired date, ``address.legacy_uncertain`` returns the guessed commune.

Problem codes (stable; the Vietnamese texts are in the web layer's gettext catalogues):

``name.missing``, ``name.single_word``, ``name.bad_characters``,
``date.missing``, ``date.invalid``, ``date.day_month_swapped``, ``date.future``,
``address.missing``, ``address.not_recognised``, ``address.province_only``,
``address.legacy_uncertain``, ``address.ambiguous``,
``phone.missing``, ``phone.invalid``,
``id.missing``, ``id.invalid``, ``id.cmnd9``,
``sex.missing``, ``sex.invalid``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Generic, Literal, TypeVar

from dancu.common import adminunits
from dancu.common.pid import classify_number, parse_pid
from dancu.common.textfold import fold
from dancu.common.textfold import normalize_name as display_name

__all__ = [
    "Address",
    "IdNumber",
    "NameParts",
    "Normalized",
    "PartialDate",
    "normalize_address",
    "normalize_date",
    "normalize_id_number",
    "normalize_name",
    "normalize_phone",
    "normalize_sex",
    "swapped_name_order",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Normalized(Generic[T]):
    """A normalised value (or None) and the problem code met on the way (or None)."""

    value: T | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


# ---------------------------------------------------------------------------- names

# Common Vietnamese family names, folded (Kinh and the minority ones written Kinh-style).
_FAMILY_TEXT = """
nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh doan dao lam mai
trinh truong cao luu ha ta chau quach luong kieu thai to la phung trieu vuong khong tang nong
mac than tong tu chu hua nghiem lai giang kim ong au khuc luc diep mach ton ma vi dam be lo
sung lu hau thao giap
"""
FAMILY_NAMES = frozenset(_FAMILY_TEXT.split())

_NAME_JUNK = re.compile(r"[^a-z\s'\-]")


@dataclass(frozen=True, slots=True)
class NameParts:
    """A person's name: display form, folded form and its family / middle / given parts.

    All parts are folded (lowercase ASCII); ``middle`` may be empty.
    """

    display: str
    folded: str
    family: str
    middle: str
    given: str


def normalize_name(text: object) -> Normalized[NameParts]:
    """Fold and split a name written in the Vietnamese family-middle-given order.

    >>> normalize_name("  NGUYỄN  văn   an ").value.given
    'an'
    """
    if not isinstance(text, str) or not text.strip():
        return Normalized(None, "name.missing")
    folded = fold(text)
    problem = None
    if _NAME_JUNK.search(folded):
        folded = " ".join(_NAME_JUNK.sub(" ", folded).split())
        problem = "name.bad_characters"
        if not folded:
            return Normalized(None, "name.missing")
    words = folded.split()
    display = display_name(" ".join(w for w in text.split() if any(c.isalpha() for c in w)))
    if len(words) == 1:
        return Normalized(NameParts(display, folded, "", "", words[0]), "name.single_word")
    parts = NameParts(display, folded, words[0], " ".join(words[1:-1]), words[-1])
    return Normalized(parts, problem)


def swapped_name_order(parts: NameParts) -> NameParts | None:
    """The name read in the Western given-family-middle order ("Anh Nguyễn Văn").

    Returns None unless the reading is plausible: the first word is not a known family name
    while the second one is. A comparison may try this reading; it is never assumed.
    """
    words = parts.folded.split()
    if len(words) < 2 or words[0] in FAMILY_NAMES or words[1] not in FAMILY_NAMES:
        return None
    given, family, middle = words[0], words[1], " ".join(words[2:])
    folded = " ".join(w for w in (family, middle, given) if w)
    return NameParts(parts.display, folded, family, middle, given)


# ---------------------------------------------------------------------------- dates


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A birth date known to the day, the month or only the year."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> Literal["day", "month", "year"]:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    @property
    def iso(self) -> str:
        """ "1990-05-17", "1990-05" or "1990"."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def swapped(self) -> PartialDate | None:
        """Day and month exchanged, when that is another real date."""
        if self.day is None or self.month is None or self.day == self.month or self.day > 12:
            return None
        return PartialDate(self.year, self.day, self.month)


_DMY = re.compile(r"^(\d{1,2})[/.\-\s](\d{1,2})[/.\-\s](\d{2}|\d{4})$")
_YMD = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[T ].*)?$")
_MY = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_YM = re.compile(r"^(\d{4})[/.\-](\d{1,2})$")
_Y = re.compile(r"^(\d{4})$")
_YMD8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# A date cell a spreadsheet wrote as its serial number (days since 1899-12-30, Excel's and
# LibreOffice's epoch): five digits, 10000 (1927-05-18) to 99999; four digits are a year.
_SERIAL = re.compile(r"^(\d{5})(?:\.\d+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)


def _real(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def _full_year(yy: str, today: date) -> int:
    if len(yy) == 4:
        return int(yy)
    year = 2000 + int(yy)
    return year if year <= today.year else year - 100


def normalize_date(value: object, *, today: date | None = None) -> Normalized[PartialDate]:
    """Parse dd/mm/yyyy, d/m/yy, yyyy-mm-dd, yyyymmdd, mm/yyyy, yyyy-mm, yyyy, a date, or a
    spreadsheet's serial number of a date (five digits).

    A day/month pair that is only a real date read the other way round (``05/13/1990``) is
    repaired and reported as ``date.day_month_swapped``.
    """
    today = today or date.today()
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return _checked(PartialDate(value.year, value.month, value.day), None, today)
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        value = str(int(value))
    if not isinstance(value, str) or not value.strip():
        return Normalized(None, "date.missing")
    text = value.strip()
    if m := _SERIAL.match(text):
        serial = _EXCEL_EPOCH + timedelta(days=int(m[1]))
        return _checked(PartialDate(serial.year, serial.month, serial.day), None, today)
    if m := _DMY.match(text):
        d, mo, y = int(m[1]), int(m[2]), _full_year(m[3], today)
        return _day_month(y, mo, d, today)
    if (m := _YMD.match(text)) or (m := _YMD8.match(text)):
        return _day_month(int(m[1]), int(m[2]), int(m[3]), today)
    if (m := _MY.match(text)) and 1 <= int(m[1]) <= 12:
        return _checked(PartialDate(int(m[2]), int(m[1])), None, today)
    if (m := _YM.match(text)) and 1 <= int(m[2]) <= 12:
        return _checked(PartialDate(int(m[1]), int(m[2])), None, today)
    if (m := _Y.match(text)) and int(m[1]) >= 1850:
        return _checked(PartialDate(int(m[1])), None, today)
    return Normalized(None, "date.invalid")


def _day_month(y: int, mo: int, d: int, today: date) -> Normalized[PartialDate]:
    if _real(y, mo, d):
        return _checked(PartialDate(y, mo, d), None, today)
    if _real(y, d, mo):
        return _checked(PartialDate(y, d, mo), "date.day_month_swapped", today)
    return Normalized(None, "date.invalid")


def _checked(value: PartialDate, problem: str | None, today: date) -> Normalized[PartialDate]:
    if value.year < 1850:
        return Normalized(None, "date.invalid")
    if (value.year, value.month or 1, value.day or 1) > (today.year, today.month, today.day):
        return Normalized(None, "date.future")
    return Normalized(value, problem)


# ---------------------------------------------------------------------------- addresses


@dataclass(frozen=True, slots=True)
class Address:
    """The current (two-tier, 2025) units an address points to."""

    province_code: str | None
    commune_code: str | None
    legacy: bool = False  # written with pre-2025 units and converted
    certain: bool = True  # False: an old ward was split (commune guessed) or address ambiguous


def normalize_address(text: object) -> Normalized[Address]:
    """Free-text address (or a 5-digit current commune code) to current province/commune.

    An address naming a district-level unit of the pre-2025 system (quận, huyện, thị xã,
    or a district that was a "thành phố": "TP. Thủ Đức"), which the 2025 system abolished,
    is parsed as pre-2025 and converted with :mod:`dancu.common.adminunits`. Otherwise the
    current (two-tier) reading is taken, unless the old system reads a whole ward and
    district in it and places it in another commune: then the address is reported as
    ``address.ambiguous`` with no commune, never guessed.
    """
    if not isinstance(text, str) or not text.strip():
        return Normalized(None, "address.missing")
    return _address(" ".join(text.split()))


@lru_cache(maxsize=65536)  # sector files repeat the same few thousand addresses
def _address(text: str) -> Normalized[Address]:
    if text.isdigit() and len(text) == 5:
        commune = adminunits.find_commune(text)
        if commune is not None:
            return Normalized(Address(commune.province_code, commune.code))
        return Normalized(None, "address.not_recognised")
    old = adminunits.read_legacy_address(text)
    if old.district_named:
        return _converted(old.conversion)
    current = adminunits.read_current_address(text)
    if current is None:
        return _converted(old.conversion)
    conv = old.conversion
    if not old.complete or (conv.certain and conv.commune == current):
        return Normalized(Address(current.province_code, current.code))
    # Both systems read a commune here, and they differ (or the old reading is a split ward).
    same_province = conv.province is not None and conv.province.code == current.province_code
    addr = Address(current.province_code if same_province else None, None, False, False)
    return Normalized(addr, "address.ambiguous")


def _converted(conv: adminunits.Conversion) -> Normalized[Address]:
    if conv.commune is not None:
        addr = Address(conv.commune.province_code, conv.commune.code, True, conv.certain)
        return Normalized(addr, None if conv.certain else "address.legacy_uncertain")
    if conv.province is not None:
        return Normalized(Address(conv.province.code, None, True, False), "address.province_only")
    return Normalized(None, "address.not_recognised")


# ---------------------------------------------------------------------------- phones

# Mobile prefixes renumbered from 11 to 10 digits in 2018 (old 01xx -> new 0xx).
OLD_MOBILE_PREFIXES = {
    "0120": "070",
    "0121": "079",
    "0122": "077",
    "0126": "076",
    "0128": "078",
    "0123": "083",
    "0124": "084",
    "0125": "085",
    "0127": "081",
    "0129": "082",
    "0162": "032",
    "0163": "033",
    "0164": "034",
    "0165": "035",
    "0166": "036",
    "0167": "037",
    "0168": "038",
    "0169": "039",
    "0186": "056",
    "0188": "058",
    "0199": "059",
}
_MOBILE = re.compile(r"^0(3[2-9]|5[2689]|7[06-9]|8[1-9]|9\d)\d{7}$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")


def normalize_phone(text: object) -> Normalized[str]:
    """A Vietnamese mobile number as 10 digits starting with 0 (+84/84 and old 11-digit
    prefixes converted)."""
    if isinstance(text, int | float) and not isinstance(text, bool) and text == text:
        text = "0" + str(int(text))  # a spreadsheet ate the leading zero
    if not isinstance(text, str) or not text.strip():
        return Normalized(None, "phone.missing")
    digits = _PHONE_SEPARATORS.sub("", text.strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif not digits.startswith("0") and len(digits) in (9, 10):
        digits = "0" + digits
    if len(digits) == 11 and digits[:4] in OLD_MOBILE_PREFIXES:
        digits = OLD_MOBILE_PREFIXES[digits[:4]] + digits[4:]
    if _MOBILE.match(digits):
        return Normalized(digits)
    return Normalized(None, "phone.invalid")


# ---------------------------------------------------------------------------- ID numbers


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A 12-digit personal ID number (``pid``) or an old 9-digit CMND number (``cmnd9``)."""

    kind: Literal["pid", "cmnd9"]
    number: str
    birth_year: int | None = None  # encoded in a PID
    sex: str | None = None  # encoded in a PID


_ID_SEPARATORS = re.compile(r"[\s.\-]")


def normalize_id_number(text: object) -> Normalized[IdNumber]:
    """Classify an ID number with :mod:`dancu.common.pid`.

    A valid PID has no problem; an old 9-digit CMND is kept with ``id.cmnd9`` (it cannot be
    matched directly); anything else is ``id.invalid`` (value None) or ``id.missing``.
    A number of 10-11 (or 8) digits whose leading zeros a spreadsheet dropped is padded.
    """
    if isinstance(text, int | float) and not isinstance(text, bool) and text == text:
        text = str(int(text))
    if not isinstance(text, str) or not text.strip():
        return Normalized(None, "id.missing")
    number = _ID_SEPARATORS.sub("", text.strip())
    if number.isascii() and number.isdigit() and len(number) in (8, 10, 11):
        # A spreadsheet ate the leading zeros (province codes start with 0).
        number = number.zfill(9 if len(number) == 8 else 12)
    kind = classify_number(number)
    if kind == "pid":
        info = parse_pid(number)
        return Normalized(IdNumber("pid", number, info.birth_year, info.sex))
    if kind == "cmnd9":
        return Normalized(IdNumber("cmnd9", number), "id.cmnd9")
    return Normalized(None, "id.invalid")


# ---------------------------------------------------------------------------- sex

_SEX = {
    "m": "M",
    "male": "M",
    "nam": "M",
    "1": "M",
    "trai": "M",
    "f": "F",
    "female": "F",
    "nu": "F",
    "0": "F",
    "2": "F",
    "gai": "F",
}


def normalize_sex(text: object) -> Normalized[str]:
    """ "M" or "F" from Nam/Nữ, M/F, male/female."""
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str) or not text.strip():
        return Normalized(None, "sex.missing")
    value = _SEX.get(fold(text))
    return Normalized(value) if value else Normalized(None, "sex.invalid")
