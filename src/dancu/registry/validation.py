"""Input rules for registry data, shared by the API, the pages and the bulk import.

Each rule failure is a ``ValidationFailed`` naming the field and a stable code.
"""

from __future__ import annotations

from datetime import date

from dancu.common import adminunits
from dancu.common.errors import ErrorCode, ValidationFailed
from dancu.common.pid import PidError, check_against, parse_pid
from dancu.common.textfold import normalize_name
from dancu.registry.errors import RegistryErrorCode

SEXES = ("M", "F")
NAME_MAX = 120


def valid_pid(value: str, *, birth_date: date | None = None, sex: str | None = None) -> str:
    """A clean 12-digit PID, cross-checked with the birth date and sex when given."""
    try:
        info = parse_pid(value)
        if birth_date is not None and sex is not None:
            check_against(info.pid, birth_date=birth_date, sex=sex)
    except PidError as exc:
        raise ValidationFailed(exc.message, code=exc.code, field="pid", value=value) from exc
    return info.pid


def valid_commune(code: str, field: str = "commune_code") -> adminunits.Commune:
    try:
        return adminunits.commune(code)
    except adminunits.UnknownUnitError as exc:
        raise ValidationFailed(
            f"Unknown commune code {code!r}",
            code=RegistryErrorCode.COMMUNE_UNKNOWN,
            field=field,
            value=code,
        ) from exc


def valid_birth_date(value: date, today: date) -> date:
    if value > today:
        raise ValidationFailed(
            "The birth date is in the future",
            code=RegistryErrorCode.BIRTH_DATE_FUTURE,
            field="birth_date",
        )
    if value.year < 1900:  # no personal ID number encodes an earlier birth
        raise ValidationFailed(
            "The birth date is too far in the past",
            code=RegistryErrorCode.BIRTH_DATE_TOO_OLD,
            field="birth_date",
        )
    return value


def valid_event_date(value: date, *, birth_date: date, today: date, field: str) -> date:
    if value > today:
        raise ValidationFailed(f"The {field} is in the future", code=f"{field}.future", field=field)
    if value < birth_date:
        raise ValidationFailed(
            f"The {field} is before the birth date", code=f"{field}.before_birth", field=field
        )
    return value


def valid_name(value: str, field: str = "full_name") -> str:
    name = normalize_name(value)
    if len(name) < 2 or len(name) > NAME_MAX or any(ch.isdigit() for ch in name):
        raise ValidationFailed(
            f"A full name has 2 to {NAME_MAX} characters and no digits",
            code=RegistryErrorCode.NAME_INVALID,
            field=field,
        )
    return name


def valid_text(value: str, field: str, max_length: int) -> str:
    """Free text that fits its column."""
    if len(value) > max_length:
        raise ValidationFailed(
            f"{field} is longer than {max_length} characters",
            code=ErrorCode.TEXT_TOO_LONG,
            field=field,
        )
    return value


def valid_nationality(value: str) -> str:
    """An ISO 3166-1 alpha-2 code such as VN."""
    if len(value) != 2 or not value.isascii() or not value.isalpha() or not value.isupper():
        raise ValidationFailed(
            "nationality is a two-letter country code such as VN",
            code=RegistryErrorCode.NATIONALITY_INVALID,
            field="nationality",
        )
    return value


def valid_sex(value: str) -> str:
    if value not in SEXES:
        raise ValidationFailed(
            "Sex must be M or F", code=RegistryErrorCode.SEX_INVALID, field="sex"
        )
    return value
