"""The ID-card application (cấp thẻ căn cước) taken at the counter, from the record: for
police officers who manage cards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from dancu.common.access import Actor, Permission
from dancu.common.bounds import Code
from dancu.common.errors import DancuError
from dancu.common.i18n import N_
from dancu.registry import cards
from dancu.registry.pages import common
from dancu.registry.schemas import CardApplicationIn
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter()
PURPOSE = "id_card"
TEMPLATE = "registry/card.html"
REASONS = {
    "first": N_("First card"),
    "renewal": N_("Renewal (age milestone or expiry)"),
    "replacement": N_("Replacement of a lost or damaged card"),
    "correction": N_("Change or correction of the card's information"),
}


def _page(
    request: Request,
    db: DbSession,
    actor: Actor,
    pid: str,
    form: dict[str, str],
    error: DancuError | None = None,
) -> HTMLResponse:
    context = {"c": common.citizen(db, actor, pid, PURPOSE), "form": form, "reasons": REASONS}
    return common.show(request, TEMPLATE, context, error)


@router.get("/citizens/{pid}/card", response_class=HTMLResponse)
def card_page(request: Request, pid: Code, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    actor.require(Permission.CARD_MANAGE)
    return _page(request, db, actor, pid, {"applied_on": "", "reason": ""})


@router.post("/citizens/{pid}/card", response_model=None, dependencies=common.CHECKED)
def card_submit(
    request: Request,
    pid: Code,
    db: DbSession,
    actor: CurrentActor,
    applied_on: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Take the application with the API's rules (one open card at a time, the holder alive);
    a second submit finds the application in progress and says so."""
    actor.require(Permission.CARD_MANAGE)
    form = {"applied_on": applied_on, "reason": reason}

    def record() -> str:
        data = common.build(
            CardApplicationIn,
            pid=pid,
            applied_on=common.parse_day(applied_on, "applied_on"),
            reason=common.required(reason, "reason", "Choose the reason for the application"),
        )
        cards.apply_for_card(db, data, actor=actor)
        return common.record_url(pid, "card", PURPOSE)

    def again(error: DancuError) -> HTMLResponse:
        return _page(request, db, actor, pid, form, error)

    return common.submit(db, record, again)
