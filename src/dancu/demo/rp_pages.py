"""A sample relying party: a public-service portal that signs citizens in with their e-ID.

It plays a separate site, as the procedure portal and partner systems of later issues will
be: it keeps its own state in its own cookie (the provider rotates the provider's session
at sign-in), talks to the provider only over HTTP through a standard OAuth client
(Authlib's requests client: discovery, authorization code with PKCE, token, userinfo), and
checks the ID token against the published JWKS with joserfc. Its "sign out" uses the
provider's RP-initiated logout (``end_session_endpoint`` with the ID token as hint and a
registered return address). Served only when the development sign-in is on (``dancu demo``
registers its client), never in production.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from dancu.common.i18n import N_
from dancu.identity.auth.session import ACR_LEVEL1, ACR_LEVEL2
from dancu.identity.oidc import clients as oidc_clients
from dancu.web.auth import app_settings
from dancu.web.templating import render

CLIENT_ID = "demo-portal"
CLIENT_NAME = "Cổng dịch vụ công mẫu"
SCOPE = "openid profile dancu_pid address"
PATH = "/demo-rp"
COOKIE = "dancu_demo_rp"  # the sign-in (or sign-out) in progress: state, verifier, nonce
SIGNED_IN = "dancu_demo_rp_user"  # the portal's own session: the ID token and the name
router = APIRouter(prefix=PATH, include_in_schema=False)
# The assurance level a person reads, not the ``acr`` URN the ID token carries.
ACR_LABELS = {ACR_LEVEL1: N_("Level 1"), ACR_LEVEL2: N_("Level 2")}
# Why a sign-in failed, in words (the code stays in the page's markup for tests).
FAILURES = {
    "access_denied": N_("The e-ID did not let you sign in at the level the portal asked for."),
    "demo_rp.no_state": N_("The sign-in took too long or was not started here; try again."),
    "demo_rp.state_mismatch": N_("The sign-in took too long or was not started here; try again."),
    "demo_rp.id_token": N_("The e-ID's answer could not be checked; try again."),
}


def redirect_uris(host: str, port: int) -> list[str]:
    """The addresses ``dancu demo`` registers (the server as ``dancu serve`` runs it): the
    sign-in callback and the page the provider returns to after signing out."""
    hosts = dict.fromkeys([host, "127.0.0.1", "localhost"])
    return [f"http://{h}:{port}{PATH}/{page}" for page in ("callback", "signed-out") for h in hosts]


def register_client(session: Session, host: str, port: int) -> None:
    """Register (or re-point) the portal as a public client: PKCE, no secret."""
    uris = redirect_uris(host, port)
    if not oidc_clients.set_redirect_uris(session, CLIENT_ID, uris):
        oidc_clients.add_client(
            session,
            client_id=CLIENT_ID,
            name=CLIENT_NAME,
            auth_method="none",
            redirect_uris=uris,
            scopes=SCOPE.split(),
        )


def repoint_client(session: Session, host: str, port: int) -> bool:
    """Re-point the portal ``dancu demo`` registered at the server as it runs now (``dancu
    serve --port``); False when the demo never registered it."""
    return oidc_clients.set_redirect_uris(session, CLIENT_ID, redirect_uris(host, port))


def _sealer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app_settings(request).secret_key, salt="dancu.demo-rp")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _discover(base: str) -> dict[str, Any]:
    answer = requests.get(f"{base}/.well-known/openid-configuration", timeout=10)
    answer.raise_for_status()
    return answer.json()


def _client(request: Request, **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(
        CLIENT_ID,
        redirect_uri=f"{_base(request)}{PATH}/callback",
        scope=SCOPE,
        token_endpoint_auth_method="none",
        code_challenge_method="S256",
        **kwargs,
    )


@router.get("", response_class=HTMLResponse)
def portal(request: Request) -> HTMLResponse:
    return render(request, "demo/rp.html", {"signed_in": None, "user": _user(request)})


def _user(request: Request) -> dict[str, str] | None:
    """The portal's own session (sealed cookie), or None."""
    try:
        kept = _sealer(request).loads(request.cookies.get(SIGNED_IN, ""), max_age=8 * 3600)
    except BadSignature:
        return None
    return kept if isinstance(kept, dict) and kept.get("id_token") else None


@router.get("/login")
def start(request: Request, level: Annotated[int, Query(ge=1, le=2)] = 1) -> RedirectResponse:
    """Send the browser to the provider, asking for level 1 or level 2 (``acr_values``)."""
    meta = _discover(_base(request))
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    with _client(request) as client:
        url, state = client.create_authorization_url(
            meta["authorization_endpoint"],
            code_verifier=verifier,
            nonce=nonce,
            acr_values=ACR_LEVEL2 if level == 2 else ACR_LEVEL1,
        )
    answer = RedirectResponse(url, status_code=303)
    sealed = _sealer(request).dumps({"state": state, "verifier": verifier, "nonce": nonce})
    answer.set_cookie(COOKIE, sealed, max_age=600, httponly=True, samesite="lax")
    return answer


@router.get("/callback", response_model=None)
def callback(request: Request) -> Response:
    """Exchange the code, check the ID token against the JWKS, read userinfo, show them."""
    try:
        kept = _sealer(request).loads(request.cookies.get(COOKIE, ""), max_age=600)
    except BadSignature:
        return _failed(request, "demo_rp.no_state")
    params = request.query_params
    if params.get("error"):
        return _failed(request, params["error"])
    if not kept.get("state") or params.get("state") != kept["state"]:
        return _failed(request, "demo_rp.state_mismatch")
    base = _base(request)
    meta = _discover(base)
    with _client(request, state=kept["state"]) as client:
        token = client.fetch_token(
            meta["token_endpoint"],
            code=params.get("code", ""),
            code_verifier=kept["verifier"],
            timeout=10,
        )
        keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
        try:
            id_token = jwt.decode(token["id_token"], keys)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": meta["issuer"]},
                aud={"essential": True, "value": CLIENT_ID},
                nonce={"essential": True, "value": kept["nonce"]},
            ).validate(id_token.claims)
        except JoseError:
            return _failed(request, "demo_rp.id_token")
        userinfo = client.get(meta["userinfo_endpoint"], timeout=10).json()
    signed_in = {"id_token": id_token.claims, "userinfo": userinfo}
    level = ACR_LABELS.get(str(id_token.claims.get("acr", "")), N_("Unknown level"))
    born = _day(userinfo.get("birthdate"))
    context = {"signed_in": signed_in, "user": True, "level": level, "born": born}
    answer = render(request, "demo/rp.html", context)
    answer.delete_cookie(COOKIE)
    user = {"id_token": token["id_token"], "name": str(userinfo.get("name", ""))}
    answer.set_cookie(
        SIGNED_IN, _sealer(request).dumps(user), max_age=8 * 3600, httponly=True, samesite="lax"
    )
    return answer


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    """Sign out of the portal, then of the e-ID: the provider's end_session_endpoint with the
    ID token as hint, our registered return address and a fresh state. (A cross-site form
    cannot post here with the portal's cookie: it is SameSite=Lax.)"""
    user = _user(request)
    if user is None:
        return RedirectResponse(PATH, status_code=303)
    meta = _discover(_base(request))
    state = secrets.token_urlsafe(16)
    params = {
        "id_token_hint": user["id_token"],
        "state": state,
        "post_logout_redirect_uri": f"{_base(request)}{PATH}/signed-out",
    }
    answer = RedirectResponse(f"{meta['end_session_endpoint']}?{urlencode(params)}", 303)
    answer.delete_cookie(SIGNED_IN)
    answer.set_cookie(
        COOKIE,
        _sealer(request).dumps({"logout_state": state}),
        max_age=600,
        httponly=True,
        samesite="lax",
    )
    return answer


@router.get("/signed-out", response_class=HTMLResponse)
def signed_out(request: Request, state: str = "") -> HTMLResponse:
    """Where the provider returns after the sign-out; the state must be the one we sent."""
    try:
        kept = _sealer(request).loads(request.cookies.get(COOKIE, ""), max_age=600)
    except BadSignature:
        return _failed(request, "demo_rp.no_state")
    if not state or state != kept.get("logout_state"):
        return _failed(request, "demo_rp.state_mismatch")
    answer = render(request, "demo/rp.html", {"signed_in": None, "signed_out": True})
    answer.delete_cookie(COOKIE)
    return answer


def _day(value: object) -> date | None:
    """The ``birthdate`` claim (``1990-05-17``) as a date the page writes dd/mm/yyyy."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _failed(request: Request, code: str) -> HTMLResponse:
    reason = FAILURES.get(code, N_("The sign-in failed; try again."))
    context = {"signed_in": None, "failed": code, "reason": reason}
    return render(request, "demo/rp.html", context, status_code=400)
