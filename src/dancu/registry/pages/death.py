"""The death registration form (khai tử), reached from the citizen's record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from dancu.common.access import Permission
from dancu.common.bounds import Code
from dancu.common.errors import DancuError
from dancu.registry import civil_status
from dancu.registry.pages import common
from dancu.registry.schemas import DeathIn
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter()
TEMPLATE = "registry/death.html"


@router.get("/citizens/{pid}/death", response_class=HTMLResponse)
def death_page(request: Request, pid: Code, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    """The death registration form, for an officer who records civil-status events."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    form = {"death_date": "", "cause": "", "key": common.new_key()}
    return common.show(request, TEMPLATE, {"c": common.citizen(db, actor, pid), "form": form})


@router.post("/citizens/{pid}/death", response_model=None, dependencies=common.CHECKED)
def death_submit(
    request: Request,
    pid: Code,
    db: DbSession,
    actor: CurrentActor,
    death_date: Annotated[str, Form(max_length=40)] = "",
    cause: Annotated[str, Form(max_length=200)] = "",
    key: Annotated[Code, Form()] = "",
) -> Response:
    """Register the death with the API's own rules (the key makes a double submit harmless)."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    form = {"death_date": death_date, "cause": cause, "key": key}

    def record() -> str:
        day = common.required_day(death_date, "death_date", "Enter the date of death")
        data = DeathIn(pid=pid, death_date=day, cause=cause.strip() or None)
        civil_status.register_death(db, data, actor=actor, key=key or None)
        return common.record_url(pid, "death")

    def again(error: DancuError) -> HTMLResponse:
        context = {"c": common.citizen(db, actor, pid), "form": form}
        return common.show(request, TEMPLATE, context, error)

    return common.submit(db, record, again)
