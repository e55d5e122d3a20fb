"""Registry pages for officers: search, and a citizen's record with its access history."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dancu.common import adminunits
from dancu.common.access import Permission
from dancu.common.bounds import Code, PageNo, SearchName
from dancu.common.errors import DancuError, ErrorCode, NotFound, ValidationFailed
from dancu.registry import civil_status, service
from dancu.registry import validation as rules
from dancu.registry.schemas import DeathIn
from dancu.web.csrf import require_csrf_unless_bearer
from dancu.web.deps import CurrentActor, DbSession
from dancu.web.templating import render

router = APIRouter(prefix="/registry", include_in_schema=False)
_CHECKED = [Depends(require_csrf_unless_bearer)]  # forms that change the registry


_DATE_PARTS = re.compile(r"\s*[/.\-]\s*")


def _parse_date(value: str | None) -> date | None:
    """A birth date as officers type it: dd/mm/yyyy (also with - or .), or ISO yyyy-mm-dd."""
    parsed = _parse_day(value, "birth_date")
    return rules.valid_birth_date(parsed, date.today()) if parsed else None


def _parse_day(value: str | None, field: str) -> date | None:
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
        parsed = date(year, month, day)
    except ValueError as exc:
        what = "The birth date" if field == "birth_date" else "The date"
        raise ValidationFailed(
            f"{what} must be a real date written dd/mm/yyyy (e.g. 17/05/1990)",
            code=ErrorCode.DATE_INVALID,
            field=field,
        ) from exc
    return parsed


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    name: SearchName = "",
    birth_date: Code = "",
    commune_code: Code = "",
    purpose: Code = "administrative_procedure",
    page: PageNo = 1,
) -> HTMLResponse:
    actor.require(Permission.CITIZEN_SEARCH)  # before showing a form they could not use
    form = {
        "name": name,
        "birth_date": birth_date,
        "commune_code": commune_code,
        "purpose": purpose,
    }
    context: dict[str, Any] = {
        "form": form,
        "results": None,
        "error": None,
        "communes": _communes_for(actor),
    }
    submitted = any(k in request.query_params for k in ("name", "birth_date", "commune_code"))
    if submitted:  # an empty submitted form gets the service's "search.empty" answer
        try:
            context["results"] = service.search(
                db,
                actor=actor,
                purpose=purpose,
                name=name or None,
                birth_date=_parse_date(birth_date),
                commune_code=commune_code or None,
                page=page,
            )
        except ValidationFailed as exc:
            context["error"] = exc
    status = 422 if context["error"] else 200
    return render(request, "registry/search.html", context, status_code=status)


def _communes_for(actor: Any) -> list[adminunits.Commune]:
    if actor.commune_units:
        return [adminunits.commune(c) for c in actor.commune_units]
    codes = actor.province_units or ()
    return [c for p in codes for c in adminunits.communes(p)]


@router.get("/citizens/{pid}", response_class=HTMLResponse)
def record_page(
    request: Request,
    pid: Code,
    db: DbSession,
    actor: CurrentActor,
    purpose: Code = "administrative_procedure",
) -> HTMLResponse:
    citizen = service.get_citizen(db, pid, actor=actor, purpose=purpose)
    try:
        household = service.household_of(db, pid, actor=actor, purpose=purpose)
    except NotFound:
        household = None
    trail = (
        service.audit_trail(db, pid, actor=actor, limit=50)
        if actor.can(Permission.AUDIT_READ)
        else None
    )
    context = {
        "c": citizen,
        "household": household,
        "trail": trail,
        "purpose": purpose,
        "commune_name": service.commune_name,
        "can_record": actor.can(Permission.CIVIL_STATUS_RECORD),
        "done": request.query_params.get("done"),
    }
    return render(request, "registry/record.html", context)


@router.get("/citizens/{pid}/residence-confirmation", response_class=HTMLResponse)
def residence_confirmation_page(
    request: Request,
    pid: Code,
    db: DbSession,
    actor: CurrentActor,
    purpose: Code = "residence",
) -> HTMLResponse:
    """Form CT07, filled from the registry, to print (audited as the confirmation)."""
    confirmation = service.residence_confirmation(db, pid, actor=actor, purpose=purpose)
    context = {
        "r": confirmation,
        "c": confirmation.citizen,
        "purpose": purpose,
        "commune_name": service.commune_name,
    }
    return render(request, "registry/residence_confirmation.html", context)


def _death_form(
    request: Request,
    db: Any,
    actor: Any,
    pid: str,
    *,
    form: dict[str, str],
    error: DancuError | None = None,
) -> HTMLResponse:
    citizen = service.get_citizen(db, pid, actor=actor, purpose="civil_status")
    context = {"c": citizen, "form": form, "error": error}
    status = error.status_code if error else 200
    return render(request, "registry/death.html", context, status_code=status)


@router.get("/citizens/{pid}/death", response_class=HTMLResponse)
def death_page(request: Request, pid: Code, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    """The death registration form (civil status), for an officer who records events."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    form = {"death_date": "", "cause": "", "key": str(uuid.uuid4())}
    return _death_form(request, db, actor, pid, form=form)


@router.post("/citizens/{pid}/death", response_model=None, dependencies=_CHECKED)
def death_submit(
    request: Request,
    pid: Code,
    db: DbSession,
    actor: CurrentActor,
    death_date: Annotated[str, Form(max_length=40)] = "",
    cause: Annotated[str, Form(max_length=200)] = "",
    key: Annotated[Code, Form()] = "",
) -> Response:
    """Register the death with the API's own rules; a refusal is shown on the form, with
    what was typed kept (the idempotency key makes a double submit harmless)."""
    form = {"death_date": death_date, "cause": cause, "key": key}
    try:
        day = _parse_day(death_date, "death_date")
        if day is None:
            raise ValidationFailed(
                "Enter the date of death", code=ErrorCode.FORM_REQUIRED, field="death_date"
            )
        data = DeathIn(pid=pid, death_date=day, cause=cause.strip() or None)
        civil_status.register_death(db, data, actor=actor, key=key or None)
    except DancuError as exc:
        if exc.status_code >= 500 or exc.status_code in (401, 403):
            raise
        db.rollback()
        return _death_form(request, db, actor, pid, form=form, error=exc)
    target = f"/registry/citizens/{pid}?{urlencode({'purpose': 'civil_status', 'done': 'death'})}"
    return RedirectResponse(target, status_code=303)
