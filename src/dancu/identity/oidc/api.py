"""The OpenID Connect provider's HTTP endpoints (discovery, JWKS, authorize, PAR, token...).

Routes read the request (forms are read on the event loop), then do the database work in
the thread pool through the ``Provider`` (Authlib) and ``oidc`` (our decisions). The
back-channel endpoints (PAR, token, revocation, introspection) open their unit of work in
that same thread-pool hop (``in_unit_of_work``): work and commit cost one hop, not two.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dancu.common.errors import NotAuthenticated
from dancu.identity.accounts.models import Account
from dancu.identity.auth.session import ACR_LEVEL1, ACR_LEVEL2
from dancu.identity.keys import service as keys
from dancu.identity.oidc import authorize as oidc
from dancu.identity.oidc import bearer, claims, params
from dancu.identity.oidc import clients as oidc_clients
from dancu.identity.oidc.dpop import DPoPError, verify_proof
from dancu.identity.oidc.server import CONFIDENTIAL_METHODS, HttpRequest, Provider
from dancu.web.auth import app_settings
from dancu.web.csrf import require_csrf
from dancu.web.deps import DbSession, in_unit_of_work
from dancu.web.openapi import (
    client_authenticated,
    oauth_responses,
    page_responses,
    token_requirement,
)
from dancu.web.public_url import public_base, public_url
from dancu.web.templating import render

router = APIRouter(tags=["oidc"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
ASSERTION_ALGS = ("ES256", "RS256", "PS256")  # private_key_jwt client assertions


def issuer(request: Request) -> str:
    return public_base(request)  # DANCU_PUBLIC_URL when set: not the Host header


def _snapshot(request: Request, form: dict[str, str] | None = None) -> HttpRequest:
    return HttpRequest(
        request.method, str(request.url), request.headers, dict(request.query_params), form or {}
    )


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


async def _token_form(request: Request) -> dict[str, str]:
    """A back-channel request's form (the last value of a repeated name, as ``_form``).

    RFC 6749 bodies are ``application/x-www-form-urlencoded``: those are split here with
    ``parse_qsl``, a fraction of the CPU of the streaming parser behind ``request.form()``,
    which still reads any other content type. Only for routes that read nothing else of
    the body (the consent POST reads the form for its CSRF check first).
    """
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        body = (await request.body()).decode("latin-1")
        return dict(parse_qsl(body, keep_blank_values=True))
    return await _form(request)


def _bad_params(form: dict[str, str]) -> JSONResponse | None:
    """``invalid_request`` for a value no client could mean (``params.py``), before any work."""
    if (refused := params.refusal(form)) is None:
        return None
    return _json((400, {"error": "invalid_request", "error_description": refused}, {}))


def _json(result: tuple[int, Any, dict[str, str]]) -> JSONResponse:
    status, body, headers = result
    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    return JSONResponse(body, status_code=status, headers={**headers, **NO_STORE})


# What /openapi.json declares (web/openapi.py): the forms, how the client authenticates, and
# the answers. Declarations only: the routes read the raw request.
_TEXT: dict[str, Any] = {"type": "string"}
_CLIENT_AUTH = ("client_secret_basic", "private_key_jwt")
_TOKEN_HINT: dict[str, Any] = {"type": "string", "enum": ["access_token", "refresh_token"]}
TOKEN_FORM = {
    "grant_type": {"type": "string", "enum": list(oidc_clients.GRANT_TYPES)},
    "code": _TEXT,
    "redirect_uri": _TEXT,
    "code_verifier": {**_TEXT, "description": "PKCE (S256)"},
    "refresh_token": _TEXT,
    "scope": _TEXT,
}
PAR_FORM = {
    "response_type": {"type": "string", "enum": ["code"]},
    "redirect_uri": _TEXT,
    "scope": _TEXT,
    "state": _TEXT,
    "nonce": _TEXT,
    "code_challenge": _TEXT,
    "code_challenge_method": {"type": "string", "enum": ["S256"]},
    "acr_values": _TEXT,
    "prompt": _TEXT,
}
_TOKEN_RESPONSE = "The tokens (RFC 6749 5.1; `id_token` for the code grant with openid)"


def _with_dpop(db: Session, provider: Provider, request: Request) -> tuple[int, Any, dict] | None:
    proofs = request.headers.getlist("dpop")  # more than one is refused (RFC 9449 4.3)
    if not proofs:
        return None
    try:
        provider.dpop_jkt = verify_proof(db, proofs, method=request.method, url=public_url(request))
    except DPoPError as exc:
        return 400, {"error": exc.error, "error_description": exc.description}, {}
    return None


@router.get("/.well-known/openid-configuration")
def discovery(request: Request) -> JSONResponse:
    base = issuer(request)
    return JSONResponse(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/oidc/authorize",
            "pushed_authorization_request_endpoint": f"{base}/oidc/par",
            "token_endpoint": f"{base}/oidc/token",
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "jwks_uri": f"{base}/oidc/jwks",
            "revocation_endpoint": f"{base}/oidc/revoke",
            "introspection_endpoint": f"{base}/oidc/introspect",
            "end_session_endpoint": f"{base}/oidc/logout",  # identity/pages/logout.py
            "scopes_supported": [*oidc_clients.SCOPES, *oidc_clients.PARTNER_SCOPES],
            "claims_supported": sorted(
                {c for cs in claims.SCOPE_CLAIMS.values() for c in cs}
                | {"iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid"}
            ),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(oidc_clients.GRANT_TYPES),
            "subject_types_supported": ["pairwise", "public"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "token_endpoint_auth_methods_supported": list(oidc_clients.AUTH_METHODS),
            "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
            # RFC 8414 2: without these a client would assume client_secret_basic alone
            "revocation_endpoint_auth_methods_supported": list(oidc_clients.AUTH_METHODS),
            "revocation_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
            "introspection_endpoint_auth_methods_supported": list(CONFIDENTIAL_METHODS),
            "introspection_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": [ACR_LEVEL1, ACR_LEVEL2],
            "prompt_values_supported": ["none", "login", "consent"],
            "dpop_signing_alg_values_supported": ["ES256", "ES384", "RS256", "PS256", "EdDSA"],
            "authorization_response_iss_parameter_supported": True,
            "request_parameter_supported": False,
            "claims_parameter_supported": False,
        }
    )


@router.get("/oidc/jwks")
def jwks(db: DbSession) -> JSONResponse:
    return JSONResponse(keys.jwks(db, "oidc"), headers={"Cache-Control": "max-age=300"})


@router.get(
    "/oidc/authorize",
    response_class=HTMLResponse,
    response_model=None,
    responses=page_responses(400),
)
def authorize_page(request: Request, db: DbSession) -> Response:
    provider = Provider(db, issuer(request))
    here = request.url.path + ("?" + request.url.query if request.url.query else "")
    outcome = oidc.authorize(
        db, provider, _snapshot(request), request.session, here=here, settings=app_settings(request)
    )
    return _outcome(request, outcome)


@router.post(
    "/oidc/authorize",
    response_class=HTMLResponse,
    response_model=None,
    responses=page_responses(400, 403),
)
async def authorize_decision(request: Request, db: DbSession) -> Response:
    await require_csrf(request)
    form = await _form(request)
    decision = form.pop("decision", "deny")
    form.pop("csrf_token", None)

    def work() -> Response:
        provider = Provider(db, issuer(request))
        snap = HttpRequest("GET", str(request.url), request.headers, form, {})
        here = "/oidc/authorize"
        outcome = oidc.authorize(
            db,
            provider,
            snap,
            request.session,
            here=here,
            decision=decision,
            settings=app_settings(request),
        )
        return _outcome(request, outcome)

    return await run_in_threadpool(work)


def _outcome(request: Request, outcome: oidc.Outcome) -> Response:
    if isinstance(outcome, oidc.Redirect):
        return RedirectResponse(outcome.location, status_code=303, headers=NO_STORE)
    if isinstance(outcome, oidc.Refuse):
        return render(
            request,
            "error.html",
            {"code": f"oidc.{outcome.error}", "message": outcome.description},
            status_code=400,
        )
    page = render(request, "identity/consent.html", {"ask": outcome})
    page.headers["X-Frame-Options"] = "DENY"  # no clickjacking of the Allow button
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post(
    "/oidc/par",
    status_code=201,
    responses=oauth_responses(201, "The request_uri to authorize with (RFC 9126)", 400, 401),
    openapi_extra=client_authenticated(
        (*_CLIENT_AUTH, "none"), PAR_FORM, ("response_type", "client_id")
    ),
)
async def pushed_request(request: Request) -> JSONResponse:
    form = await _token_form(request)

    def work(db: Session) -> tuple[int, Any, dict]:
        provider = Provider(db, issuer(request))
        status, body = oidc.push(db, provider, _snapshot(request, form))
        return status, body, {}

    return _json(await in_unit_of_work(request, work))


@router.post(
    "/oidc/token",
    responses=oauth_responses(200, _TOKEN_RESPONSE, 400, 401),
    openapi_extra=client_authenticated((*_CLIENT_AUTH, "none"), TOKEN_FORM, ("grant_type",)),
)
async def token(request: Request) -> JSONResponse:
    """A grant on the cached client row when there is one (``clients.ClientCache``); if
    the row turned out stale, or the grant was refused on it, the grant is undone and run
    again on the row as it is now, and that answer is the one sent."""
    form = await _token_form(request)
    if (refused := _bad_params(form)) is not None:
        return refused

    def work(db: Session, cached: bool) -> tuple[int, Any, dict]:
        provider = Provider(db, issuer(request), client_cache=cached)
        refused = _with_dpop(db, provider, request)
        if refused is not None:
            return refused
        answer = provider.create_token_response(_snapshot(request, form))
        if answer[0] != 200 and provider.cached_client:
            raise oidc_clients.StaleClient(form.get("client_id", ""))  # undo, decide afresh
        return answer

    try:
        return _json(await in_unit_of_work(request, lambda db: work(db, True)))
    except oidc_clients.StaleClient:
        return _json(await in_unit_of_work(request, lambda db: work(db, False)))


@router.post(
    "/oidc/revoke",
    responses=oauth_responses(200, "Revoked, or unknown (RFC 7009 2.2)", 400, 401),
    openapi_extra=client_authenticated(
        (*_CLIENT_AUTH, "none"), {"token": _TEXT, "token_type_hint": _TOKEN_HINT}, ("token",)
    ),
)
async def revoke(request: Request) -> JSONResponse:
    form = await _token_form(request)
    if (refused := _bad_params(form)) is not None:
        return refused

    def work(db: Session) -> tuple[int, Any, dict]:
        provider = Provider(db, issuer(request))
        return provider.create_endpoint_response("revocation", _snapshot(request, form))

    answer = await in_unit_of_work(request, work)
    if answer[0] == 200:  # committed: this process honours no cached grant of it any more
        bearer.forget_cached_grants(getattr(request.app.state, "bearer_verifier", None))
    return _json(answer)


@router.post(
    "/oidc/introspect",
    responses=oauth_responses(200, "The token's state (RFC 7662 2.2)", 400, 401),
    openapi_extra=client_authenticated(
        _CLIENT_AUTH, {"token": _TEXT, "token_type_hint": _TOKEN_HINT}, ("token",)
    ),
)
async def introspect(request: Request) -> JSONResponse:
    form = await _token_form(request)
    if (refused := _bad_params(form)) is not None:
        return refused

    def work(db: Session) -> tuple[int, Any, dict]:
        provider = Provider(db, issuer(request))
        return provider.create_endpoint_response("introspection", _snapshot(request, form))

    return _json(await in_unit_of_work(request, work))


_USERINFO: dict[str, Any] = {
    "responses": oauth_responses(200, "The claims the token's scopes allow", 400, 401, 403),
    "openapi_extra": {"security": token_requirement("openid")},  # Bearer or DPoP
}


@router.get("/oidc/userinfo", **_USERINFO)
@router.post("/oidc/userinfo", **_USERINFO)  # OIDC Core 5.3.1: GET and POST, one id each
async def userinfo(request: Request, db: DbSession) -> JSONResponse:
    """The token comes in the ``Authorization`` header or, on a POST, as the form body's
    ``access_token`` (RFC 6750 2.2, what pyoidc sends by default); never both (2)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if request.method == "POST" and _is_form(request):
        form = await _token_form(request)
        if "access_token" in form:
            if scheme:
                return _bad_request("Send the access token one way: the header or the body")
            scheme, token = "Bearer", form["access_token"]
    return await run_in_threadpool(_userinfo, request, db, scheme, token)


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    return kind == "application/x-www-form-urlencoded"


def _bad_request(description: str) -> JSONResponse:
    return JSONResponse(
        {"error": "invalid_request", "error_description": description},
        status_code=400,
        headers={"WWW-Authenticate": 'Bearer error="invalid_request"', **NO_STORE},
    )


def _userinfo(request: Request, db: Session, scheme: str, token: str) -> JSONResponse:
    if not scheme and not token.strip():  # RFC 6750 3.1: no credentials, no error code
        return JSONResponse(
            {"error": "invalid_request", "error_description": "An access token is required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="dancu"', **NO_STORE},
        )
    provider = Provider(db, issuer(request))
    presented = bearer.Presented(
        scheme.lower(),
        token.strip(),
        tuple(request.headers.getlist("dpop")),
        request.method,
        public_url(request),
    )
    try:
        row = bearer.check_token(db, presented, provider.now)
    except NotAuthenticated as exc:
        return _unauthorized(str(exc.params["error"]), exc.message, str(exc.params["scheme"]))
    if row.account_id is None:
        return _unauthorized("invalid_token", "The access token is unknown, expired or revoked")
    scopes = set(row.scope.split())
    if "openid" not in scopes:
        return JSONResponse(
            {"error": "insufficient_scope", "error_description": "The token lacks openid"},
            status_code=403,
            headers={"WWW-Authenticate": f'{scheme} error="insufficient_scope"', **NO_STORE},
        )
    client = oidc_clients.get_client(db, row.client_id)
    account = db.get(Account, row.account_id)
    if client is None or account is None or account.status != "active":
        return _unauthorized("invalid_token", "The account or the client is no longer active")
    body = {"sub": claims.subject(row.account_id, row.client_id, client.row.subject_type)}
    body |= claims.claims_for(
        db, account.citizen_pid, scopes, client_id=row.client_id, client_name=client.row.name
    )
    return JSONResponse(body, headers=NO_STORE)


def _unauthorized(error: str, description: str, scheme: str = "Bearer") -> JSONResponse:
    challenge = f'{scheme} error="{error}", error_description="{description}"'
    if scheme == "DPoP":
        challenge += ', algs="ES256 RS256 PS256 EdDSA"'
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=401,
        headers={"WWW-Authenticate": challenge, **NO_STORE},
    )
