"""The machine-readable zone of a chip ID card: ICAO Doc 9303 TD1 (three lines of 30).

``parse_td1`` reads the three lines, checks every check digit (document number, birth
date, expiry date and the composite) and says which one failed; ``compose_td1`` writes a
valid zone (tests and the demo build their own cards with it). Names are transliterated
the ICAO way: Vietnamese diacritics dropped, Đ as D, the family name first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from dancu.common.errors import ValidationFailed
from dancu.common.textfold import fold
from dancu.identity.errors import IdentityErrorCode

LINE = 30
_WEIGHTS = (7, 3, 1)
_ALLOWED = re.compile(r"[0-9A-Z<]{30}")


class MrzError(ValidationFailed):
    """The zone is malformed or a check digit does not match (``field`` says which)."""


def check_digit(data: str) -> str:
    """ICAO 9303 check digit: values 0-9, A-Z = 10-35, '<' = 0, weights 7 3 1, mod 10."""
    total = 0
    for i, ch in enumerate(data):
        if ch.isdigit():
            value = int(ch)
        elif "A" <= ch <= "Z":
            value = ord(ch) - 55
        elif ch == "<":
            value = 0
        else:
            raise MrzError(
                f"{ch!r} cannot appear in an MRZ", code=IdentityErrorCode.MRZ_CHARACTER, field="mrz"
            )
        total += value * _WEIGHTS[i % 3]
    return str(total % 10)


@dataclass(frozen=True, slots=True)
class Td1:
    document_code: str
    issuing_state: str
    document_number: str
    optional_data_1: str
    birth_date: str  # YYMMDD as printed; the century is not in the zone
    sex: str  # M, F or < (unspecified)
    expiry_date: str  # YYMMDD
    nationality: str
    optional_data_2: str
    primary_identifier: str  # the family name
    secondary_identifier: str  # middle and given names

    def birth(self, *, today: date) -> date:
        """The birth date, placed in the century that makes it not in the future."""
        year, month, day = _yymmdd(self.birth_date, "birth_date")
        full = 2000 + year if 2000 + year <= today.year else 1900 + year
        return _date(full, month, day, "birth_date")

    def expiry(self) -> date:
        """The expiry date (cards issued since 2000 expire in this century)."""
        year, month, day = _yymmdd(self.expiry_date, "expiry_date")
        return _date(2000 + year, month, day, "expiry_date")


def parse_td1(text: str) -> Td1:
    """Read and check a TD1 zone given as three lines (or 90 characters)."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if len(lines) == 1 and len(lines[0]) == 3 * LINE:
        lines = [lines[0][i : i + LINE] for i in range(0, 3 * LINE, LINE)]
    if len(lines) != 3 or any(len(ln) != LINE for ln in lines):
        raise MrzError(
            "A TD1 zone has three lines of 30 characters",
            code=IdentityErrorCode.MRZ_SHAPE,
            field="mrz",
        )
    for n, ln in enumerate(lines, start=1):
        if not _ALLOWED.fullmatch(ln):
            raise MrzError(
                f"Line {n} may hold only A-Z, 0-9 and <",
                code=IdentityErrorCode.MRZ_CHARACTER,
                field="mrz",
            )
    one, two, three = lines
    number, optional_1 = _document_number(one)
    _expect(two[0:6], two[6], "birth_date")
    _expect(two[8:14], two[14], "expiry_date")
    composite = one[5:30] + two[0:7] + two[8:15] + two[18:29]
    _expect(composite, two[29], "composite")
    if two[7] not in "MF<":
        raise MrzError("Sex is M, F or <", code=IdentityErrorCode.MRZ_SEX, field="sex")
    primary, _, secondary = three.partition("<<")
    return Td1(
        document_code=one[0:2].rstrip("<"),
        issuing_state=one[2:5].rstrip("<"),
        document_number=number,
        optional_data_1=optional_1,
        birth_date=two[0:6],
        sex=two[7],
        expiry_date=two[8:14],
        nationality=two[15:18].rstrip("<"),
        optional_data_2=two[18:29].rstrip("<"),
        primary_identifier=primary.replace("<", " ").strip(),
        secondary_identifier=secondary.replace("<", " ").strip(),
    )


def compose_td1(
    *,
    document_number: str,
    birth_date: date,
    sex: str,
    expiry_date: date,
    family_name: str,
    given_names: str,
    issuing_state: str = "VNM",
    nationality: str = "VNM",
    document_code: str = "ID",
    optional_data_1: str = "",
    optional_data_2: str = "",
) -> str:
    """A valid TD1 zone, three lines joined by newlines."""
    number = document_number.upper()
    if len(number) <= 9:
        field = _pad(number, 9) + check_digit(_pad(number, 9)) + _pad(optional_data_1, 15)
    else:  # long number: 9 in the field, '<', the rest and its check digit in optional data
        rest = number[9:] + check_digit(number)
        field = number[:9] + "<" + _pad(rest + optional_data_1, 15)
    one = _pad(document_code, 2) + _pad(issuing_state, 3) + field
    dob, exp = birth_date.strftime("%y%m%d"), expiry_date.strftime("%y%m%d")
    two = (
        dob
        + check_digit(dob)
        + sex
        + exp
        + check_digit(exp)
        + _pad(nationality, 3)
        + _pad(optional_data_2, 11)
    )
    two += check_digit(one[5:30] + two[0:7] + two[8:15] + two[18:29])
    three = _pad(f"{_name(family_name)}<<{_name(given_names)}", LINE)[:LINE]
    return "\n".join((one, two, three))


def _document_number(one: str) -> tuple[str, str]:
    field, digit, optional = one[5:14], one[14], one[15:30]
    if digit != "<":
        _expect(field, digit, "document_number")
        return field.rstrip("<"), optional.rstrip("<")
    # Long number: its remainder and check digit lead the optional data, then '<'.
    rest, _, tail = optional.partition("<")
    if not rest:
        raise MrzError(
            "The document number's check digit is missing",
            code=IdentityErrorCode.MRZ_CHECK_DIGIT,
            field="document_number",
        )
    number = field + rest[:-1]
    _expect(number, rest[-1], "document_number")
    return number, tail.rstrip("<")


def _expect(data: str, digit: str, field: str) -> None:
    if check_digit(data) != digit:
        raise MrzError(
            f"The {field.replace('_', ' ')} check digit does not match",
            code=IdentityErrorCode.MRZ_CHECK_DIGIT,
            field=field,
        )


def _yymmdd(value: str, field: str) -> tuple[int, int, int]:
    if not value.isdigit():
        raise MrzError(f"The {field} is not a date", code=IdentityErrorCode.MRZ_DATE, field=field)
    return int(value[0:2]), int(value[2:4]), int(value[4:6])


def _date(year: int, month: int, day: int, field: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise MrzError(
            f"The {field} is not a date", code=IdentityErrorCode.MRZ_DATE, field=field
        ) from exc


def _name(value: str) -> str:
    return re.sub(r"[^A-Z]+", "<", fold(value).upper()).strip("<")


def _pad(value: str, width: int) -> str:
    return value.upper().replace(" ", "<").ljust(width, "<")
