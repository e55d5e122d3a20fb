"""My account: level, contacts, sessions, passkeys, authenticator app, history, and who
accessed my data; and the guardian's page for children under 14."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dancu.common.bounds import Code, Id
from dancu.common.errors import DancuError, Forbidden, NotFound
from dancu.identity.accounts import history, transparency
from dancu.identity.accounts import repository as repo
from dancu.identity.accounts import service as accounts
from dancu.identity.accounts.models import Account
from dancu.identity.accounts.schemas import DependantIn
from dancu.identity.auth import passkeys, signin, totp
from dancu.identity.auth.session import STEP_UP_URL, Login, end_login, now_epoch
from dancu.identity.errors import IdentityErrorCode
from dancu.identity.oidc import authorize as oidc
from dancu.identity.oidc.claims import CLAIM_LABELS, SCOPE_CLAIMS
from dancu.identity.pages import devices
from dancu.identity.pages.common import (
    client_ip,
    page,
    parse_date,
    passkey_binding,
    refused,
    relying_party,
    signed_in,
    totp_qr,
)
from dancu.identity.pages.forms import build, required
from dancu.web.csrf import CsrfChecked
from dancu.web.deps import DbSession

router = APIRouter(prefix="/account")


def _account(db: Session, login: Login) -> Account:
    account = repo.account_by_id(db, login.account_id)
    assert account is not None  # a live login has a live account
    return account


def _context(db: Session, login: Login, account: Account) -> dict[str, Any]:
    return {
        "login": login,
        "account": accounts.describe(account),
        "level_now": login.level(now_epoch()),
        "sessions": (rows := signin.list_sessions(db, account.id)),
        "devices": {r.id: devices.describe(r.user_agent) for r in rows},
        "passkeys": passkeys.list_for(db, account.id),
        "totp_qr": totp_qr(account),
        "totp_secret": totp.secret_of(account) if not totp.enabled(account) else None,
        "events": history.list_for(db, account.id, limit=50),
        "access_log": transparency.my_access_log(db, account.citizen_pid, limit=50),
        "consents": oidc.consents_of(db, account.id),
        "shared": _shared,
    }


def _shared(scopes: list[str]) -> list[str]:
    """What a consent's scopes release, as the consent page named it (labels to translate)."""
    return [CLAIM_LABELS[c] for s in scopes for c in SCOPE_CLAIMS.get(s, ()) if c in CLAIM_LABELS]


@router.get("", response_class=HTMLResponse)
def my_account(request: Request, db: DbSession) -> HTMLResponse:
    login = signed_in(request, db)
    return page(request, "account.html", _context(db, login, _account(db, login)))


@router.post("/sessions/{session_id}/revoke", response_model=None)
def revoke_session(
    request: Request, session_id: Code, db: DbSession, _csrf: CsrfChecked
) -> Response:
    login = signed_in(request, db)
    signin.revoke_session(db, login.account_id, session_id, ip=client_ip(request))
    if session_id == login.session_id:
        end_login(request.session, db)
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/account#sessions", status_code=303)


def _consent(db: Session, login: Login, client_id: str) -> oidc.GivenConsent:
    for given in oidc.consents_of(db, login.account_id):
        if given.client_id == client_id:
            return given
    raise NotFound("No such consent", code=IdentityErrorCode.CONSENT_UNKNOWN)


@router.get("/consents/{client_id}/revoke", response_class=HTMLResponse)
def revoke_consent_form(request: Request, client_id: Code, db: DbSession) -> HTMLResponse:
    """The confirmation step before a consent is withdrawn (a plain form: no script)."""
    login = signed_in(request, db)
    return page(request, "consent_revoke.html", {"consent": _consent(db, login, client_id)})


@router.post("/consents/{client_id}/revoke", response_model=None)
def revoke_consent(
    request: Request,
    client_id: Code,
    db: DbSession,
    _csrf: CsrfChecked,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Stop letting a service see my data (it asks again at the next sign-in); only from
    the confirmation page (``confirm=yes``), otherwise the person is sent there first."""
    login = signed_in(request, db)
    if confirm != "yes":
        _consent(db, login, client_id)  # 404 for a consent that is not there
        return RedirectResponse(f"/account/consents/{quote(client_id)}/revoke", status_code=303)
    if not oidc.revoke_consent(db, login.account_id, client_id):
        raise NotFound("No such consent", code=IdentityErrorCode.CONSENT_UNKNOWN)
    history.add(
        db, login.account_id, "consent", ip=client_ip(request), client=client_id, revoked="yes"
    )
    return RedirectResponse("/account#consents", status_code=303)


@router.post("/totp", response_model=None)
def start_totp(request: Request, db: DbSession, _csrf: CsrfChecked) -> Response:
    login = signed_in(request, db)
    account = _account(db, login)
    if not totp.enabled(account):  # an enrolled app is kept: no silent replacement
        totp.begin_enrolment(db, account)
    return RedirectResponse("/account#totp", status_code=303)


@router.post("/totp/confirm", response_model=None)
def confirm_totp(
    request: Request, db: DbSession, _csrf: CsrfChecked, code: Annotated[str, Form()] = ""
) -> Response:
    login = signed_in(request, db)
    account = _account(db, login)
    try:
        refusal = totp.confirm_enrolment(db, account, required(code, "code"))
    except DancuError as exc:
        refusal = exc
    if refusal is not None:
        return refused(request, "account.html", refusal, _context(db, login, account))
    return RedirectResponse("/account#totp", status_code=303)


@router.post("/passkeys/options")
def passkey_options(request: Request, db: DbSession, _csrf: CsrfChecked) -> Response:
    login = signed_in(request, db)
    account = _account(db, login)
    options = passkeys.registration_options(
        db,
        account.id,
        user_name=account.citizen_pid,
        display_name=account.display_name,
        rp=relying_party(request),
        binding=passkey_binding(request),
    )
    return Response(options, media_type="application/json")


@router.post("/passkeys")
def add_passkey(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    credential: Annotated[dict[str, Any], Body(embed=True)],
    name: Annotated[str, Body(embed=True)] = "",
) -> JSONResponse:
    login = signed_in(request, db)
    passkeys.register(
        db,
        login.account_id,
        credential,
        rp=relying_party(request),
        binding=passkey_binding(request),
        name=name or "Passkey",
        ip=client_ip(request),
    )
    return JSONResponse({"redirect": "/account#passkeys"})


@router.post("/passkeys/{passkey_id}/remove", response_model=None)
def remove_passkey(request: Request, passkey_id: Id, db: DbSession, _csrf: CsrfChecked) -> Response:
    login = signed_in(request, db)
    passkeys.remove(db, login.account_id, passkey_id, ip=client_ip(request))
    return RedirectResponse("/account#passkeys", status_code=303)


def _children_context(db: Session, login: Login) -> dict[str, Any]:
    return {
        "login": login,
        "children": repo.dependants_of(db, login.account_id),
        "level_now": login.level(now_epoch()),
        "form": {"pid": "", "full_name": "", "birth_date": ""},
    }


@router.get("/children", response_class=HTMLResponse)
def children(request: Request, db: DbSession) -> HTMLResponse:
    login = signed_in(request, db)
    return page(request, "children.html", _children_context(db, login))


@router.post("/children", response_model=None)
def add_child(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    pid: Annotated[str, Form()] = "",
    full_name: Annotated[str, Form()] = "",
    birth_date: Annotated[str, Form()] = "",
) -> Response:
    login = signed_in(request, db)
    context = _children_context(db, login)
    context["form"] = {"pid": pid, "full_name": full_name, "birth_date": birth_date}
    if login.level(now_epoch()) != 2:  # a child's account is opened from a level-2 session
        if login.account_level == 2:
            return RedirectResponse(f"{STEP_UP_URL}?next=/account/children", status_code=303)
        error = Forbidden(
            "Only a level-2 account may register a child", code=IdentityErrorCode.LEVEL_INSUFFICIENT
        )
        return refused(request, "children.html", error, context)
    try:
        data = build(
            DependantIn,
            pid="".join(pid.split()),
            full_name=required(full_name, "full_name"),
            birth_date=parse_date(required(birth_date, "birth_date"), "birth_date"),
        )
        accounts.register_dependant(db, login.account_id, data)
    except DancuError as exc:
        return refused(request, "children.html", exc, context)
    return RedirectResponse("/account/children", status_code=303)
