"""Marriage and divorce registration (kết hôn, ghi chú ly hôn), from one spouse's record.

Marriage names the other spouse by ID number; divorce takes the spouse the record holds,
recorded after the court's decision has taken effect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from dancu.common.access import Actor, Permission
from dancu.common.bounds import Code
from dancu.common.errors import DancuError
from dancu.registry import civil_status
from dancu.registry.pages import common
from dancu.registry.schemas import DivorceIn, MarriageIn
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter()
MARRIAGE = "registry/marriage.html"
DIVORCE = "registry/divorce.html"
DateText = Annotated[str, Form(max_length=40)]


def _page(
    request: Request,
    db: DbSession,
    actor: Actor,
    pid: str,
    template: str,
    form: dict[str, str],
    error: DancuError | None = None,
) -> HTMLResponse:
    context = {"c": common.citizen(db, actor, pid), "form": form}
    return common.show(request, template, context, error)


@router.get("/citizens/{pid}/marriage", response_class=HTMLResponse)
def marriage_page(request: Request, pid: Code, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    actor.require(Permission.CIVIL_STATUS_RECORD)
    form = {"spouse_pid": "", "married_on": "", "key": common.new_key()}
    return _page(request, db, actor, pid, MARRIAGE, form)


@router.post("/citizens/{pid}/marriage", response_model=None, dependencies=common.CHECKED)
def marriage_submit(
    request: Request,
    pid: Code,
    db: DbSession,
    actor: CurrentActor,
    spouse_pid: Annotated[str, Form(max_length=40)] = "",
    married_on: DateText = "",
    key: Annotated[Code, Form()] = "",
) -> Response:
    """Register the marriage with the API's rules (ages, both alive and unmarried...)."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    form = {"spouse_pid": spouse_pid, "married_on": married_on, "key": key}

    def record() -> str:
        other = common.required(spouse_pid, "spouse_pid", "Enter the spouse's ID number")
        day = common.required_day(married_on, "married_on", "Enter the date of the marriage")
        data = MarriageIn(pid=pid, spouse_pid=other, married_on=day)
        civil_status.register_marriage(db, data, actor=actor, key=key or None)
        return common.record_url(pid, "marriage")

    def again(error: DancuError) -> HTMLResponse:
        return _page(request, db, actor, pid, MARRIAGE, form, error)

    return common.submit(db, record, again)


@router.get("/citizens/{pid}/divorce", response_class=HTMLResponse)
def divorce_page(request: Request, pid: Code, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    actor.require(Permission.CIVIL_STATUS_RECORD)
    form = {"divorced_on": "", "key": common.new_key()}
    return _page(request, db, actor, pid, DIVORCE, form)


@router.post("/citizens/{pid}/divorce", response_model=None, dependencies=common.CHECKED)
def divorce_submit(
    request: Request,
    pid: Code,
    db: DbSession,
    actor: CurrentActor,
    spouse_pid: Annotated[str, Form(max_length=40)] = "",
    divorced_on: DateText = "",
    key: Annotated[Code, Form()] = "",
) -> Response:
    """Record the divorce of the spouse shown on the form (the record's at the time)."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    form = {"divorced_on": divorced_on, "key": key}

    def record() -> str:
        day = common.required_day(divorced_on, "divorced_on", "Enter the date of the divorce")
        data = DivorceIn(pid=pid, spouse_pid=spouse_pid, divorced_on=day)
        civil_status.register_divorce(db, data, actor=actor, key=key or None)
        return common.record_url(pid, "divorce")

    def again(error: DancuError) -> HTMLResponse:
        return _page(request, db, actor, pid, DIVORCE, form, error)

    return common.submit(db, record, again)
