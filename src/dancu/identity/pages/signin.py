"""Signing in (password, then a second factor or a passkey) and stepping up."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dancu.common.bounds import Code
from dancu.common.errors import DancuError, NotAuthenticated
from dancu.common.i18n import N_
from dancu.identity.accounts import repository as repo
from dancu.identity.accounts.models import Account
from dancu.identity.auth import passkeys, signin, totp
from dancu.identity.auth.passkeys import PasskeyOut
from dancu.identity.auth.session import Login, begin_login, step_up
from dancu.identity.errors import IdentityErrorCode
from dancu.identity.pages.common import (
    PENDING_LOGIN,
    client_ip,
    masked_phone,
    page,
    passkey_binding,
    refused,
    relying_party,
    safe_next,
    signed_in,
    totp_qr,
    user_agent,
)
from dancu.identity.pages.forms import required
from dancu.web.auth import app_settings
from dancu.web.csrf import CsrfChecked
from dancu.web.deps import DbSession

router = APIRouter()
PENDING_SECONDS = 300


def _start_pending(request: Request, account: Account, target: str) -> None:
    request.session[PENDING_LOGIN] = {"account": account.id, "next": target, "at": int(time.time())}


def _pending(request: Request, db: Session) -> tuple[Account, str] | None:
    """The account whose password was right in this browser a moment ago, and where to go."""
    data = request.session.get(PENDING_LOGIN)
    if not isinstance(data, dict) or time.time() - int(data.get("at", 0)) > PENDING_SECONDS:
        return None
    account = repo.account_by_id(db, int(data["account"]))
    if account is None or account.status != "active" or account.kind != "citizen":
        return None
    return account, safe_next(str(data.get("next", "")))


def _finish(
    request: Request, db: Session, account: Account, amr: tuple[str, ...], target: str = ""
) -> str:
    """Sign the browser in; returns where to go (the page that sent it to sign in)."""
    pending = _pending(request, db)
    target = pending[1] if pending else safe_next(target)
    begin_login(request.session, db, account, amr, client_ip(request), user_agent(request))
    return target


# -- what the second factor and the step-up share: a code checked, then a passkey -------


def _after_code(
    request: Request,
    template: str,
    context: dict[str, Any],
    refusal: DancuError | None,
    target: str,
    complete: Callable[[], object],
) -> Response:
    """A checked code: on refusal the form again (returned, so the failure count commits),
    else ``complete()`` (sign in, or open the step-up window) and go to ``target``."""
    try:
        if refusal is not None:
            raise refusal
        complete()
    except DancuError as exc:
        return refused(request, template, exc, context)
    return RedirectResponse(target, status_code=303)


def _passkey_options(request: Request, db: Session, account_id: int | None) -> Response:
    """A passkey challenge for this browser: any passkey of this site, or one account's."""
    options = passkeys.authentication_options(
        db, rp=relying_party(request), binding=passkey_binding(request), account_id=account_id
    )
    return Response(options, media_type="application/json")


def _passkey_check(
    request: Request, db: Session, credential: dict[str, Any], account_id: int | None
) -> PasskeyOut:
    """The assertion checked against this browser's challenge (and the account, if named)."""
    return passkeys.authenticate(
        db,
        credential,
        rp=relying_party(request),
        binding=passkey_binding(request),
        account_id=account_id,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "", recovered: str = "") -> HTMLResponse:
    notice = N_("Your new password is set. Sign in with it.") if recovered else None
    return page(request, "login.html", {"next": safe_next(next), "pid": "", "notice": notice})


@router.post("/login", response_model=None)
def login(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    pid: Annotated[Code, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    target = safe_next(next)
    attempt = signin.check_password(db, pid, password, ip=client_ip(request))
    if attempt.error is not None:  # returned: the failure count commits with the page
        retry_at = getattr(attempt.error, "retry_at", None)  # 429: when to try again
        context = {"next": target, "pid": pid, "retry_at": retry_at}
        answer = refused(request, "login.html", attempt.error, context)
        answer.headers.update(getattr(attempt.error, "headers", {}))
        return answer
    assert attempt.account is not None
    _start_pending(request, attempt.account, target)
    if "totp" not in signin.second_factors(attempt.account):
        signin.send_login_code(db, attempt.account)
    return RedirectResponse("/login/second-factor", status_code=303)


def _factor_context(db: Session, account: Account, *, resent: bool = False) -> dict[str, Any]:
    """``phone`` is the masked number the SMS codes go to; without an authenticator app a
    code was sent there at the password step, ``resent`` when the person asked again."""
    factors = signin.second_factors(account)
    return {
        "factors": factors,
        "has_passkey": passkeys.has_passkey(db, account.id),
        "phone": masked_phone(account.phone),
        "code_sent": "totp" not in factors,
        "resent": resent,
    }


@router.get("/login/second-factor", response_model=None)
def factor_form(request: Request, db: DbSession) -> Response:
    pending = _pending(request, db)
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    return page(request, "login_factor.html", _factor_context(db, pending[0]))


@router.post("/login/second-factor", response_model=None)
def factor(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    method: Annotated[str, Form()] = "otp",
    code: Annotated[str, Form()] = "",
) -> Response:
    pending = _pending(request, db)
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    account, target = pending
    refusal = signin.check_second_factor(db, account, method, code, ip=client_ip(request))
    return _after_code(
        request,
        "login_factor.html",
        _factor_context(db, account),
        refusal,
        target,
        lambda: _finish(request, db, account, signin.amr_for(method)),
    )


@router.post("/login/send-code", response_model=None)
def send_code(request: Request, db: DbSession, _csrf: CsrfChecked) -> Response:
    pending = _pending(request, db)
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    signin.send_login_code(db, pending[0])
    return page(request, "login_factor.html", _factor_context(db, pending[0], resent=True))


@router.post("/login/passkey/options")
def passkey_login_options(request: Request, db: DbSession, _csrf: CsrfChecked) -> Response:
    """After the password: this account's passkeys; before it: any passkey of this site."""
    pending = _pending(request, db)
    return _passkey_options(request, db, pending[0].id if pending else None)


@router.post("/login/passkey")
def passkey_login(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    credential: Annotated[dict[str, Any], Body(embed=True)],
    next: Annotated[str, Body(embed=True)] = "",
) -> JSONResponse:
    pending = _pending(request, db)
    used = _passkey_check(request, db, credential, pending[0].id if pending else None)
    account = repo.account_by_id(db, used.account_id)
    if account is None or account.status != "active" or account.kind != "citizen":
        raise NotAuthenticated("This account cannot sign in", code=IdentityErrorCode.LOGIN_FAILED)
    # after the password the passkey is the second factor; alone, it is two (key + PIN/face)
    amr = ("pwd", "hwk") if pending else ("hwk", "user")
    return JSONResponse({"redirect": _finish(request, db, account, amr, next)})


def _way_back(target: str) -> dict[str, Any]:
    """How to leave the step-up without it: back to the service that asked (an OIDC request
    is answered "access denied", through the authorization endpoint), or to the page."""
    parts = urlsplit(target)
    if parts.path == "/oidc/authorize" and parts.query:
        return {"deny_fields": dict(parse_qsl(parts.query)), "back_url": None}
    return {"deny_fields": None, "back_url": target}


def _step_up_context(db: Session, login: Login, target: str) -> tuple[Account, dict[str, Any]]:
    account = repo.account_by_id(db, login.account_id)
    assert account is not None  # a live login has a live account
    enabled = totp.enabled(account)
    context = {
        "next": safe_next(target),
        "login": login,
        "account_level": login.account_level,
        "totp": enabled,
        "totp_qr": totp_qr(account),
        "totp_secret": totp.secret_of(account) if account.totp_secret and not enabled else None,
        "has_passkey": passkeys.has_passkey(db, account.id),
        **_way_back(safe_next(target)),
    }
    return account, context


@router.get("/login/step-up", response_class=HTMLResponse)
def step_up_form(
    request: Request, db: DbSession, next: str = "", enrolled: str = ""
) -> HTMLResponse:
    login = signed_in(request, db)
    _, context = _step_up_context(db, login, next)
    context["enrolled"] = enrolled == "yes"
    status = 200 if login.account_level == 2 else 403
    return page(request, "step_up.html", context, status_code=status)


def _step_up_url(target: str, **extra: str) -> str:
    return f"/login/step-up?{urlencode({'next': safe_next(target), **extra})}"


@router.post("/login/step-up/totp", response_model=None)
def step_up_totp_start(
    request: Request, db: DbSession, _csrf: CsrfChecked, next: Annotated[str, Form()] = ""
) -> Response:
    """Set up an authenticator app from the step-up page itself (as on My account)."""
    login = signed_in(request, db)
    account, _ = _step_up_context(db, login, next)
    if not totp.enabled(account):  # an enrolled app is kept: no silent replacement
        totp.begin_enrolment(db, account)
    return RedirectResponse(_step_up_url(next) + "#totp", status_code=303)


@router.post("/login/step-up/totp/confirm", response_model=None)
def step_up_totp_confirm(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """The app's first code ends the enrolment; the step-up then asks for its next code."""
    login = signed_in(request, db)
    account, context = _step_up_context(db, login, next)
    try:
        refusal = totp.confirm_enrolment(db, account, required(code, "code"))
    except DancuError as exc:
        refusal = exc
    if refusal is not None:  # returned: the wrong try commits with the page
        return refused(request, "step_up.html", refusal, context)
    return RedirectResponse(_step_up_url(next, enrolled="yes"), status_code=303)


@router.post("/login/step-up", response_model=None)
def step_up_totp(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    login = signed_in(request, db)
    account, context = _step_up_context(db, login, next)
    refusal = totp.check(db, account, code)
    return _after_code(
        request,
        "step_up.html",
        context,
        refusal,
        safe_next(next),
        lambda: step_up(db, login, "totp", settings=app_settings(request)),
    )


@router.post("/login/step-up/passkey/options")
def step_up_options(request: Request, db: DbSession, _csrf: CsrfChecked) -> Response:
    return _passkey_options(request, db, signed_in(request, db).account_id)


@router.post("/login/step-up/passkey")
def step_up_passkey(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    credential: Annotated[dict[str, Any], Body(embed=True)],
    next: Annotated[str, Body(embed=True)] = "",
) -> JSONResponse:
    login = signed_in(request, db)
    _passkey_check(request, db, credential, login.account_id)
    step_up(db, login, "hwk", settings=app_settings(request))
    return JSONResponse({"redirect": safe_next(next)})
