"""Vietnamese personal identification numbers (số định danh cá nhân).

Format (Circular 59/2021/TT-BCA), 12 digits, no check digit::

    PPP C YY NNNNNN
    │   │ │  └ 6 random digits
    │   │ └ last two digits of the birth year
    │   └ century-and-sex digit: 0/1 = 1900s male/female, 2/3 = 2000s, … 8/9 = 2300s
    └ province of birth, the pre-2025 63-province codes ("001" Hà Nội … "096" Cà Mau)

12-digit CMND numbers issued 2012–2016 have the same shape and are treated as PIDs.
Old 9-digit CMND numbers are recognised by :func:`classify_number` but are not PIDs.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import as_file, files
from typing import Literal

__all__ = [
    "PidError",
    "PidInfo",
    "check_against",
    "classify_number",
    "explain",
    "is_valid_pid",
    "make_pid",
    "parse_pid",
    "valid_province_codes",
]

PID_LENGTH = 12
CMND_LENGTH = 9
_SEPARATORS = str.maketrans("", "", " .-\t\u00a0")
_FIRST_CENTURY = 20  # century digit 0/1 -> the 20th century (1900s)


class PidError(ValueError):
    """A PID is malformed or inconsistent; ``code`` is a stable machine-readable reason."""

    def __init__(self, code: str, message: str, *, field: str = "pid") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"PidError({self.code!r}, {self.message!r})"


@dataclass(frozen=True, slots=True)
class PidInfo:
    """Facts encoded in a valid PID."""

    pid: str
    province_code: str  # 3 digits, e.g. "001"
    sex: str  # "M" or "F"
    century: int  # 20 for the 1900s, 21 for the 2000s, …
    birth_year: int
    serial: str  # the 6 random digits


@cache
def valid_province_codes() -> frozenset[str]:
    """The 3-digit province-of-birth codes (pre-2025 provinces) from ``vietnamadminunits``."""
    resource = files("vietnamadminunits").joinpath("data", "dataset.db")
    with as_file(resource) as path:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT DISTINCT provinceCode FROM admin_units_legacy").fetchall()
        finally:
            conn.close()
    codes = frozenset(
        "0" + str(code) for (code,) in rows if code and len(str(code)) == 2 and str(code).isdigit()
    )
    if not codes:  # pragma: no cover - would mean the package data changed shape
        raise RuntimeError("vietnamadminunits dataset has no legacy province codes")
    return codes


def _clean(value: str) -> str:
    return value.translate(_SEPARATORS)


def _is_ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _normalize_sex(sex: str) -> str:
    norm = sex.strip().upper() if isinstance(sex, str) else ""
    if norm not in ("M", "F"):
        raise PidError("pid.sex", f"sex must be 'M' or 'F', got {sex!r}", field="sex")
    return norm


def parse_pid(value: str, *, today: date | None = None) -> PidInfo:
    """Parse and validate a PID; spaces, dots and dashes are ignored. Raises :class:`PidError`."""
    if not isinstance(value, str):
        raise PidError("pid.not_digits", "the number must be text made of digits")
    pid = _clean(value)
    if pid and not _is_ascii_digits(pid):
        raise PidError("pid.not_digits", "the number must contain only digits 0-9")
    if len(pid) != PID_LENGTH:
        hint = " (this looks like an old 9-digit CMND number)" if len(pid) == CMND_LENGTH else ""
        raise PidError("pid.length", f"a PID has 12 digits, got {len(pid)}{hint}")
    province = pid[:3]
    if province not in valid_province_codes():
        raise PidError("pid.province", f"{province} is not a province-of-birth code")
    digit = int(pid[3])
    century = _FIRST_CENTURY + digit // 2
    birth_year = (century - 1) * 100 + int(pid[4:6])
    this_year = (today or date.today()).year
    start = (century - 1) * 100
    if start > this_year:
        raise PidError(
            "pid.century",
            f"century digit {digit} means a birth year in {start}-{start + 99}, in the future",
        )
    if birth_year > this_year:
        raise PidError("pid.birth_year_future", f"birth year {birth_year} is in the future")
    return PidInfo(
        pid=pid,
        province_code=province,
        sex="F" if digit % 2 else "M",
        century=century,
        birth_year=birth_year,
        serial=pid[6:],
    )


def explain(value: str) -> str | None:
    """``None`` if ``value`` is a valid PID, else the English reason it is not."""
    try:
        parse_pid(value)
    except PidError as exc:
        return exc.message
    return None


def is_valid_pid(value: str) -> bool:
    """True if ``value`` is a valid PID."""
    return explain(value) is None


def classify_number(value: str) -> Literal["pid", "cmnd9", "invalid"]:
    """Classify an identity number: a valid PID, an old 9-digit CMND, or invalid."""
    if not isinstance(value, str):
        return "invalid"
    cleaned = _clean(value)
    if len(cleaned) == CMND_LENGTH and _is_ascii_digits(cleaned):
        return "cmnd9"
    return "pid" if is_valid_pid(cleaned) else "invalid"


def check_against(pid: str, *, birth_date: date, sex: str) -> None:
    """Check a PID against the declared birth date and sex; raises :class:`PidError`."""
    expected_sex = _normalize_sex(sex)
    info = parse_pid(pid)
    if info.birth_year != birth_date.year:
        raise PidError(
            "pid.birth_mismatch",
            f"the PID encodes birth year {info.birth_year} but the birth date is {birth_date}",
        )
    if info.sex != expected_sex:
        raise PidError(
            "pid.sex_mismatch", f"the PID encodes sex {info.sex} but the declared sex is {sex}"
        )


def make_pid(*, province_code: str, birth_date: date, sex: str, serial: int) -> str:
    """Build a PID (for demo data). ``province_code`` may be "001" or "01"; serial 0..999999."""
    code = province_code.strip() if isinstance(province_code, str) else ""
    if len(code) == 2:
        code = "0" + code
    if code not in valid_province_codes():
        raise PidError("pid.province", f"{province_code!r} is not a province-of-birth code")
    norm_sex = _normalize_sex(sex)
    year = birth_date.year
    if not 1900 <= year <= 2399:
        raise PidError("pid.century", f"birth year {year} is outside 1900-2399")
    if year > date.today().year:
        raise PidError("pid.birth_year_future", f"birth year {year} is in the future")
    digit = (year // 100 - 19) * 2 + (norm_sex == "F")
    if isinstance(serial, bool) or not isinstance(serial, int) or not 0 <= serial <= 999_999:
        raise PidError("pid.serial", f"serial must be an int in 0..999999, got {serial!r}")
    return f"{code}{digit}{year % 100:02d}{serial:06d}"
