"""A sample relying party: a public-service portal that signs citizens in with their e-ID.

It plays a separate site, as the procedure portal and partner systems of later issues will
be: it keeps its own state in its own cookie (the provider rotates the provider's session
at sign-in), talks to the provider only over HTTP through a standard OAuth client
(Authlib's requests client: discovery, authorization code with PKCE, token, userinfo), and
checks the ID token against the published JWKS with joserfc. Served only when the
development sign-in is on (``dancu demo`` registers its client), never in production.
"""

from __future__ import annotations

import secrets
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from dancu.identity import oidc_clients
from dancu.identity.login import ACR_LEVEL1, ACR_LEVEL2
from dancu.identity.oidc_models import OidcClient
from dancu.web.auth import app_settings
from dancu.web.templating import render

CLIENT_ID = "demo-portal"
CLIENT_NAME = "Cổng dịch vụ công mẫu"
SCOPE = "openid profile dancu_pid address"
PATH = "/demo-rp"
COOKIE = "dancu_demo_rp"
router = APIRouter(prefix=PATH, include_in_schema=False)


def redirect_uris(host: str, port: int) -> list[str]:
    """The callback addresses ``dancu demo`` registers (the server as ``dancu serve`` runs it)."""
    hosts = dict.fromkeys([host, "127.0.0.1", "localhost"])
    return [f"http://{h}:{port}{PATH}/callback" for h in hosts]


def register_client(session: Session, host: str, port: int) -> None:
    """Register (or re-point) the portal as a public client: PKCE, no secret."""
    uris = redirect_uris(host, port)
    row = session.get(OidcClient, CLIENT_ID)
    if row is None:
        oidc_clients.add_client(
            session, client_id=CLIENT_ID, name=CLIENT_NAME, auth_method="none",
            redirect_uris=uris, scopes=SCOPE.split(),
        )  # fmt: skip
    else:
        row.redirect_uris = uris


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
        CLIENT_ID, redirect_uri=f"{_base(request)}{PATH}/callback", scope=SCOPE,
        token_endpoint_auth_method="none", code_challenge_method="S256", **kwargs,
    )  # fmt: skip


@router.get("", response_class=HTMLResponse)
def portal(request: Request) -> HTMLResponse:
    return render(request, "demo/rp.html", {"signed_in": None})


@router.get("/login")
def start(request: Request, level: int = 1) -> RedirectResponse:
    """Send the browser to the provider, asking for level 1 or level 2 (``acr_values``)."""
    meta = _discover(_base(request))
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    with _client(request) as client:
        url, state = client.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce,
            acr_values=ACR_LEVEL2 if level == 2 else ACR_LEVEL1,
        )  # fmt: skip
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
    if params.get("state") != kept["state"]:
        return _failed(request, "demo_rp.state_mismatch")
    base = _base(request)
    meta = _discover(base)
    with _client(request, state=kept["state"]) as client:
        token = client.fetch_token(
            meta["token_endpoint"], code=params.get("code", ""), code_verifier=kept["verifier"],
            timeout=10,
        )  # fmt: skip
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
    answer = render(
        request, "demo/rp.html", {"signed_in": {"id_token": id_token.claims, "userinfo": userinfo}}
    )
    answer.delete_cookie(COOKIE)
    return answer


def _failed(request: Request, code: str) -> HTMLResponse:
    return render(request, "demo/rp.html", {"signed_in": None, "failed": code}, status_code=400)
