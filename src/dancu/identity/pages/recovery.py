"""Forgotten password: ID number and birth date, a code to the registered phone, a new password."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dancu.common.errors import DancuError, ValidationFailed
from dancu.common.i18n import N_
from dancu.identity.auth import recovery
from dancu.identity.errors import IdentityErrorCode
from dancu.identity.pages.common import client_ip, page, parse_date, refused
from dancu.identity.pages.forms import required
from dancu.web.csrf import CsrfChecked
from dancu.web.deps import DbSession

router = APIRouter(prefix="/recover")
RECOVERY = "recovery"  # {"pid": ..., "birth_date": iso}


def _start_context(pid: str = "", birth_date: str = "") -> dict[str, Any]:
    return {"step": "start", "form": {"pid": pid, "birth_date": birth_date}}


@router.get("", response_class=HTMLResponse)
def recover_form(request: Request) -> HTMLResponse:
    return page(request, "recover.html", _start_context())


@router.post("", response_model=None)
def recover_start(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    pid: Annotated[str, Form()] = "",
    birth_date: Annotated[str, Form()] = "",
) -> Response:
    try:
        typed_pid = "".join(required(pid, "pid").split())
        born = parse_date(required(birth_date, "birth_date"), "birth_date")
    except DancuError as exc:
        return refused(request, "recover.html", exc, _start_context(pid, birth_date))
    recovery.start(db, typed_pid, born)  # silent whether or not an account matched
    request.session[RECOVERY] = {"pid": typed_pid, "birth_date": born.isoformat()}
    notice = N_("If the data match an account, a code is on its way to its phone.")
    return page(request, "recover.html", {"step": "finish", "notice": notice})


@router.post("/finish", response_model=None)
def recover_finish(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    code: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password2: Annotated[str, Form()] = "",
) -> Response:
    started = request.session.get(RECOVERY)
    if not isinstance(started, dict):
        return RedirectResponse("/recover", status_code=303)
    context = {"step": "finish"}
    try:
        if password != password2:
            raise ValidationFailed(
                "The two passwords differ",
                code=IdentityErrorCode.PASSWORD_REPEAT,
                field="password2",
            )
        refusal = recovery.finish(
            db,
            started["pid"],
            date.fromisoformat(started["birth_date"]),
            required(code, "code"),
            password,
            ip=client_ip(request),
        )
    except DancuError as exc:
        refusal = exc
    if refusal is not None:
        return refused(request, "recover.html", refusal, context)
    request.session.clear()
    return RedirectResponse("/login?recovered=1", status_code=303)
