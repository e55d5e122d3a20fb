"""Form input to service shapes: pydantic's complaints become errors that name the field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from dancu.common.errors import ErrorCode, ValidationFailed

M = TypeVar("M", bound=BaseModel)

# Labels of the fields the identity forms can name in an error (English; Vietnamese in
# web/messages/identity.py).
FIELD_LABELS: dict[str, str] = {
    "pid": "ID number",
    "full_name": "Full name",
    "birth_date": "Birth date",
    "phone": "Phone number",
    "email": "E-mail address",
    "password": "Password",
    "password2": "Repeat the password",
    "photo": "Face photo",
    "code": "Code",
    "method": "Second factor",
    "mrz": "Machine-readable zone",
    "chip": "Chip data",
    "face_checked": "Face check",
    "name": "Passkey name",
    "session": "Session",
    "passkey": "Passkey",
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
