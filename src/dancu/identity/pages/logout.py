"""Signing out: the pages' Sign out button, and OpenID Connect RP-initiated logout
(``end_session_endpoint``) for relying parties; the checks are in ``identity/oidc_logout.py``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dancu.common.bounds import Code
from dancu.common.errors import DancuError
from dancu.identity.auth.session import SESSION_KEY, current_login
from dancu.identity.oidc import logout as oidc_logout
from dancu.identity.oidc.logout import LogoutRequest
from dancu.identity.pages.common import page
from dancu.web.auth import app_settings
from dancu.web.csrf import CsrfChecked, require_csrf
from dancu.web.deps import DbSession
from dancu.web.public_url import public_base
from dancu.web.templating import render

router = APIRouter()
END_SESSION_PATH = "/oidc/logout"
NO_STORE = {"Cache-Control": "no-store"}
NO_FRAMES = {
    "X-Frame-Options": "DENY",
    **NO_STORE,
}


@router.post("/logout", response_model=None)
async def logout(request: Request, db: DbSession) -> Response:
    """Sign out. An e-ID session is revoked, and only by a form of this site (CSRF); a
    development sign-in, which has no session row, is simply forgotten."""
    if request.session.get(SESSION_KEY):
        await require_csrf(request)
        await run_in_threadpool(oidc_logout.sign_out, request.session, db)
    else:
        request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get(END_SESSION_PATH, response_model=None)
def end_session(request: Request, db: DbSession) -> Response:
    return _end_session(request, db, dict(request.query_params))


@router.post(END_SESSION_PATH, response_model=None)
async def end_session_by_form(request: Request, db: DbSession) -> Response:
    """The same request form-posted by a relying party (no CSRF token: it is not our form).
    Checked here, then answered by a 303 to the GET form with the same parameters: the
    session cookie is SameSite=Lax, so a cross-site POST arrives without it and would look
    like "nobody signed in"; the top-level GET that follows carries it."""
    form = await request.form()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    asked = await run_in_threadpool(_checked, request, db, params)
    if isinstance(asked, Response):
        return asked  # refused here too: no redirect anywhere
    target = f"{END_SESSION_PATH}?{urlencode(asked.params or {})}"
    return RedirectResponse(target, status_code=303, headers=NO_STORE)


@router.post(f"{END_SESSION_PATH}/confirm", response_model=None)
def confirm(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    id_token_hint: Annotated[str, Form()] = "",
    client_id: Annotated[Code, Form()] = "",
    post_logout_redirect_uri: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
) -> Response:
    """The holder's "Sign out" on the confirmation page (this site's form: CSRF-checked)."""
    params = {
        "id_token_hint": id_token_hint,
        "client_id": client_id,
        "state": state,
        "post_logout_redirect_uri": post_logout_redirect_uri,
    }
    asked = _checked(request, db, params)
    if isinstance(asked, Response):
        return asked
    oidc_logout.sign_out(request.session, db)
    return _signed_out(request, asked)


def _end_session(request: Request, db: Session, params: dict[str, str]) -> Response:
    """End the login at once when a valid hint names it; else ask the holder to confirm."""
    asked = _checked(request, db, params)
    if isinstance(asked, Response):
        return asked
    login = current_login(request.session, db, settings=app_settings(request))
    if login is not None and asked.names_session(login.session_id):
        oidc_logout.sign_out(request.session, db)
        return _signed_out(request, asked)
    if login is None and not request.session.get("actor"):
        return _signed_out(request, asked)  # nobody is signed in here: nothing to end
    context = {"asked": asked, "fields": asked.params or {}}
    answer = page(request, "logout_confirm.html", context)
    answer.headers.update(NO_FRAMES)  # no clickjacking of the Sign out button
    return answer


def _checked(request: Request, db: Session, params: dict[str, str]) -> LogoutRequest | Response:
    try:
        return oidc_logout.check_request(db, params, issuer=public_base(request))
    except DancuError as exc:  # no redirect anywhere: the error is shown here
        return render(
            request,
            "error.html",
            {"code": exc.code, "message": exc.message, "field": exc.field},
            status_code=exc.status_code,
        )


def _signed_out(request: Request, asked: LogoutRequest) -> Response:
    if asked.redirect:
        return RedirectResponse(asked.redirect, status_code=303, headers=NO_STORE)
    return page(request, "logout_done.html", {"asked": asked})
