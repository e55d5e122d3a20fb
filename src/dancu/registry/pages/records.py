"""Search, a citizen's record with its access history and the registrations it offers, and
the printable residence confirmation (form CT07)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dancu.common import adminunits
from dancu.common.access import Permission
from dancu.common.bounds import Code, PageNo, SearchName
from dancu.common.errors import NotFound, ValidationFailed
from dancu.registry import service
from dancu.registry import validation as rules
from dancu.registry.cards import age_on
from dancu.registry.civil_status import MIN_MARRIAGE_AGE
from dancu.registry.pages import common
from dancu.web.deps import CurrentActor, DbSession
from dancu.web.templating import render

router = APIRouter()


def _parse_date(value: str | None) -> date | None:
    """A birth date as officers type it: dd/mm/yyyy (also with - or .), or ISO yyyy-mm-dd."""
    parsed = common.parse_day(value, "birth_date")
    return rules.valid_birth_date(parsed, date.today()) if parsed else None


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
        "communes": common.communes_for(actor),
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
        "can_card": actor.can(Permission.CARD_MANAGE),
        # a child is not offered a marriage the registry would refuse (the law's minimum age)
        "of_marriage_age": age_on(citizen.birth_date, date.today())
        >= MIN_MARRIAGE_AGE.get(citizen.sex, max(MIN_MARRIAGE_AGE.values())),
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
        "authority_province": adminunits.province(confirmation.citizen.province_code).name,
    }
    return render(request, "registry/residence_confirmation.html", context)
