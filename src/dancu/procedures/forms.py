"""A procedure's form as the citizen typed it, checked against the catalogue's fields:
required, type, length, choices; dates as Vietnamese write them (dd/mm/yyyy).
"""

from __future__ import annotations

import re
from datetime import date

from dancu.common.errors import (
    ValidationFailed,
)
from dancu.procedures.catalogue import Procedure
from dancu.procedures.errors import ProcedureErrorCode

PID = re.compile(r"\d{12}")

MAX_VALUE = 500


def parse_date(value: str) -> date | None:
    text = value.strip().replace(".", "/").replace("-", "/")
    parts = text.split("/")
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        if len(parts) == 3 and len(parts[2]) == 4:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None
    return None


def clean_form(procedure: Procedure, form: dict[str, str], *, partial: bool) -> dict[str, str]:
    """The procedure's fields from ``form``, trimmed and checked (a draft may leave required
    ones empty); refuses the first broken field by its key."""
    out: dict[str, str] = {}
    for field in procedure.fields:
        value = (form.get(field.key) or "").strip()
        if not value:
            if field.required and not partial:
                raise ValidationFailed(
                    f"{field.key} is required",
                    code=ProcedureErrorCode.FIELD_REQUIRED,
                    field=field.key,
                )
            continue
        bad = len(value) > MAX_VALUE or any(ord(ch) < 32 for ch in value)
        if field.type == "date":
            bad = bad or parse_date(value) is None
        elif field.type == "number":
            bad = bad or not value.isdigit() or len(value) > 15
        elif field.type == "pid":
            bad = bad or PID.fullmatch(value) is None
        elif field.type == "sex":
            bad = bad or value not in ("M", "F")
        if bad:
            raise ValidationFailed(
                f"{field.key} is not valid", code=ProcedureErrorCode.FIELD_INVALID, field=field.key
            )
        out[field.key] = value
    return out
