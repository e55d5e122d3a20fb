"""What every registry form shares: dates as officers type them, the field names in the
reader's language, the API's refusals shown on the form with what was typed kept, and the
way back to the citizen's record once the event is recorded."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from pydantic import ValidationError as ModelError
from sqlalchemy.orm import Session

from dancu.common import adminunits
from dancu.common.access import Actor
from dancu.common.errors import DancuError, ErrorCode, ValidationFailed
from dancu.common.i18n import N_
from dancu.registry import service
from dancu.registry.schemas import CitizenOut
from dancu.web import i18n
from dancu.web.csrf import require_csrf_unless_bearer
from dancu.web.templating import language, render

CHECKED = [Depends(require_csrf_unless_bearer)]  # forms that change the registry
M = TypeVar("M", bound=BaseModel)
PURPOSE = "civil_status"  # the purpose every form reads the citizen for

# The forms' fields by name, for the error that names one (the shared labels are the base).
LABELS: dict[str, str] = {
    "death_date": N_("Date of death"),
    "cause": N_("Cause of death"),
    "sex": N_("Sex"),
    "mother_pid": N_("Mother's ID number"),
    "father_pid": N_("Father's ID number"),
    "ethnicity": N_("Ethnicity"),
    "religion": N_("Religion"),
    "place_of_birth": N_("Place of birth"),
    "address_detail": N_("House number, street, village"),
    "spouse_pid": N_("Spouse's ID number"),
    "married_on": N_("Date of marriage registration"),
    "divorced_on": N_("Date the divorce took effect"),
    "moved_on": N_("Date of registration"),
    "household_no": N_("Household number"),
    "relation": N_("Relation to head"),
    "applied_on": N_("Date of application"),
    "reason": N_("Reason"),
    "event": N_("What to register"),
    "Idempotency-Key": N_("Form"),
}

_DATE_PARTS = re.compile(r"\s*[/.\-]\s*")


def parse_day(value: str | None, field: str) -> date | None:
    """A date as officers type it (dd/mm/yyyy, with / - or ., or yyyy-mm-dd), for ``field``."""
    if not value or not value.strip():
        return None
    parts = _DATE_PARTS.split(value.strip())
    try:
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError(value)
        if len(parts[0]) == 4:
            year, month, day = (int(p) for p in parts)
        elif len(parts[2]) == 4:
            day, month, year = (int(p) for p in parts)
        else:
            raise ValueError(value)
        return date(year, month, day)
    except ValueError as exc:
        what = "The birth date" if field == "birth_date" else "The date"
        raise ValidationFailed(
            f"{what} must be a real date written dd/mm/yyyy (e.g. 17/05/1990)",
            code=ErrorCode.DATE_INVALID,
            field=field,
        ) from exc


def required_day(value: str, field: str, message: str) -> date:
    """A date the form cannot go without."""
    day = parse_day(value, field)
    if day is None:
        raise ValidationFailed(message, code=ErrorCode.FORM_REQUIRED, field=field)
    return day


def required(value: str, field: str, message: str) -> str:
    clean = value.strip()
    if not clean:
        raise ValidationFailed(message, code=ErrorCode.FORM_REQUIRED, field=field)
    return clean


def build(model: type[M], **values: Any) -> M:
    """The API's input model from the form's values; a value the model refuses is an error
    naming its field (the API answers the same input with 422)."""
    try:
        return model(**values)
    except ModelError as exc:
        problem = exc.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else None
        too_long = problem["type"] == "string_too_long"
        raise ValidationFailed(
            problem["msg"],
            code=ErrorCode.TEXT_TOO_LONG if too_long else ErrorCode.FORM_INVALID,
            field=field,
        ) from exc


def field_label(lang: str, field: str | None) -> str:
    text = LABELS.get(field or "") or i18n.FIELD_LABELS.get(field or "")
    return i18n.translate(lang, text) if text else ""


def new_key() -> str:
    """The idempotency key a form carries: sending it twice records the event once."""
    return str(uuid.uuid4())


def citizen(db: Session, actor: Actor, pid: str, purpose: str = PURPOSE) -> CitizenOut:
    """The citizen the form is about, read (and audited) for the form's purpose."""
    return service.get_citizen(db, pid, actor=actor, purpose=purpose)


def show(
    request: Request,
    template: str,
    context: dict[str, Any],
    error: DancuError | None = None,
) -> HTMLResponse:
    """A form page: the API's refusal, if any, above the form, with what was typed kept."""
    labels = partial(field_label, language(request))
    ctx = {**context, "error": error, "field_label": labels}
    return render(request, template, ctx, status_code=error.status_code if error else 200)


def on_form(exc: DancuError) -> bool:
    """Whether a refusal belongs on the form (bad input, a state the officer can fix);
    a refused permission or a failure of ours is the error page's."""
    return exc.status_code < 500 and exc.status_code not in (401, 403)


def submit(
    db: Session, record: Callable[[], str], again: Callable[[DancuError], Response]
) -> Response:
    """Run ``record`` (which returns where to go next); on a refusal, roll back and show the
    form ``again`` with the error."""
    try:
        target = record()
    except DancuError as exc:
        if not on_form(exc):
            raise
        db.rollback()
        return again(exc)
    return RedirectResponse(target, status_code=303)


def record_url(pid: str, done: str, purpose: str = PURPOSE) -> str:
    """The citizen's record, saying what was just registered."""
    return f"/registry/citizens/{pid}?{urlencode({'purpose': purpose, 'done': done})}"


def communes_for(actor: Actor) -> list[adminunits.Commune]:
    """The communes an officer works in (a province officer: all of the province's)."""
    if actor.commune_units:
        return [adminunits.commune(c) for c in actor.commune_units]
    return [c for p in actor.province_units or () for c in adminunits.communes(p)]
