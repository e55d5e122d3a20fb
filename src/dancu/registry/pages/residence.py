"""Change of permanent residence (đăng ký thường trú at a new address), from the record:
the citizen moves into a named household of the new commune, or heads a new one."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from dancu.common import adminunits
from dancu.common.access import Actor, Permission
from dancu.common.bounds import Code
from dancu.common.errors import DancuError
from dancu.registry import civil_status
from dancu.registry.pages import common
from dancu.registry.schemas import ResidenceChangeIn
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter()
PURPOSE = "residence"
TEMPLATE = "registry/residence.html"
# Who the citizen is to the head of the household they join (the head's own is "head").
RELATIONS = ("spouse", "child", "parent", "grandchild", "grandparent", "sibling", "other", "head")


def _page(
    request: Request,
    db: DbSession,
    actor: Actor,
    pid: str,
    form: dict[str, str],
    error: DancuError | None = None,
) -> HTMLResponse:
    c = common.citizen(db, actor, pid, PURPOSE)
    form = {**form, "commune_code": form["commune_code"] or c.commune_code}
    context = {
        "c": c,
        "form": form,
        "communes": adminunits.communes(c.province_code),
        "relations": RELATIONS,
    }
    return common.show(request, TEMPLATE, context, error)


@router.get("/citizens/{pid}/residence", response_class=HTMLResponse)
def residence_page(request: Request, pid: Code, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    actor.require(Permission.CIVIL_STATUS_RECORD)
    form = {
        "commune_code": "",
        "address_detail": "",
        "moved_on": "",
        "household_no": "",
        "relation": "other",
        "key": common.new_key(),
    }
    return _page(request, db, actor, pid, form)


@router.post("/citizens/{pid}/residence", response_model=None, dependencies=common.CHECKED)
def residence_submit(
    request: Request,
    pid: Code,
    db: DbSession,
    actor: CurrentActor,
    commune_code: Annotated[str, Form(max_length=5)] = "",
    address_detail: Annotated[str, Form(max_length=200)] = "",
    moved_on: Annotated[str, Form(max_length=40)] = "",
    household_no: Annotated[str, Form(max_length=40)] = "",
    relation: Annotated[str, Form(max_length=20)] = "other",
    key: Annotated[Code, Form()] = "",
) -> Response:
    """Register the new permanent residence with the API's rules."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    form = {
        "commune_code": commune_code,
        "address_detail": address_detail,
        "moved_on": moved_on,
        "household_no": household_no,
        "relation": relation,
        "key": key,
    }

    def record() -> str:
        data = common.build(
            ResidenceChangeIn,
            pid=pid,
            commune_code=common.required(commune_code, "commune_code", "Choose the commune"),
            address_detail=common.required(
                address_detail, "address_detail", "Enter the address in the commune"
            ),
            moved_on=common.required_day(moved_on, "moved_on", "Enter the date of registration"),
            household_no=household_no.strip() or None,
            relation=relation or "other",
        )
        civil_status.register_residence_change(db, data, actor=actor, key=key or None)
        moved_to = adminunits.commune(data.commune_code)
        if not actor.covers(moved_to.province_code, moved_to.code):  # now another's record
            return f"/registry/events?{urlencode({'done': 'moved_out', 'to': moved_to.code})}"
        return common.record_url(pid, "residence", PURPOSE)

    def again(error: DancuError) -> HTMLResponse:
        return _page(request, db, actor, pid, form, error)

    return common.submit(db, record, again)
