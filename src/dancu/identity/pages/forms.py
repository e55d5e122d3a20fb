"""Form input to service shapes: pydantic's complaints become errors that name the field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from dancu.common.errors import ErrorCode, ValidationFailed
from dancu.common.i18n import N_

M = TypeVar("M", bound=BaseModel)

# Labels of the fields the identity forms can name in an error (English, translated where
# shown).
FIELD_LABELS: dict[str, str] = {
    "pid": N_("ID number"),
    "full_name": N_("Full name"),
    "birth_date": N_("Birth date"),
    "phone": N_("Phone number"),
    "email": N_("E-mail address"),
    "password": N_("Password"),
    "password2": N_("Repeat the password"),
    "photo": N_("Face photo"),
    "code": N_("Code"),
    "method": N_("Second factor"),
    "mrz": N_("Machine-readable zone"),
    "chip": N_("Chip data"),
    "face_checked": N_("Face check"),
    "name": N_("Passkey name"),
    "session": N_("Session"),
    "passkey": N_("Passkey"),
}


def build(model: type[M], **data: Any) -> M:
    """``model(**data)``, or ``ValidationFailed`` naming the first field that broke a rule."""
    try:
        return model(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else None
        value = data.get(field) if field else None
        if value in (None, "", b""):
            raise ValidationFailed(
                f"{field} is required", code=ErrorCode.FORM_REQUIRED, field=field
            ) from exc
        raise ValidationFailed(
            f"{field}: {first.get('msg', 'invalid')}", code=ErrorCode.FORM_INVALID, field=field
        ) from exc


def required(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationFailed(f"{field} is required", code=ErrorCode.FORM_REQUIRED, field=field)
    return value
