"""The authorization endpoint's decisions: which request, who, at which level, with consent.

``authorize`` returns what the route must do next: send the browser to the login or
step-up page, show the consent page, or redirect to the client (a code or an error).
Errors that cannot be trusted to a redirect (unknown client, unregistered redirect URI)
come back as ``Refuse``: the route shows an error page and redirects nowhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    scope_to_list,
)
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dancu.db import utcnow
from dancu.identity.auth import session as logins
from dancu.identity.oidc.claims import CLAIM_LABELS, SCOPE_CLAIMS
from dancu.identity.oidc.models import Consent, OidcClient, PushedRequest
from dancu.identity.oidc.params import refusal as params_refusal
from dancu.identity.oidc.server import HttpRequest, Provider
from dancu.identity.oidc.subject import Subject
from dancu.settings import Settings, get_settings

PAR_SECONDS = 300
REAUTH_PARAM = "dancu_reauth"
REAUTH_SECONDS = 900  # how long a forced sign-in may take


@dataclass(frozen=True)
class Redirect:
    location: str


@dataclass(frozen=True)
class Refuse:
    error: str
    description: str


@dataclass(frozen=True)
class AskConsent:
    client_name: str
    scopes: list[str]
    claims: dict[str, tuple[str, ...]]
    params: dict[str, str]
    account_name: str
    labels: dict[str, str] = field(default_factory=lambda: dict(CLAIM_LABELS))


Outcome = Redirect | Refuse | AskConsent


def push(session: Session, provider: Provider, request: HttpRequest) -> tuple[int, dict[str, Any]]:
    """RFC 9126: authenticate the client, validate the request, store it; return request_uri."""
    if (refused := params_refusal(request.form)) is not None:
        return 400, {"error": "invalid_request", "error_description": refused}
    try:
        client = provider.authenticate_client(
            request, ["client_secret_basic", "private_key_jwt", "none"], "par"
        )
        params = {k: v for k, v in request.form.items() if k not in _CLIENT_AUTH_FIELDS}
        if "request_uri" in params:
            raise InvalidRequestError("request_uri is not allowed in a pushed request")
        if params.get("client_id", client.client_id) != client.client_id:
            raise InvalidRequestError("client_id does not match the authenticated client")
        params["client_id"] = client.client_id
        check = HttpRequest("GET", request.uri, request.headers, params, {})
        grant = provider.get_authorization_grant(check)
        grant.validate_authorization_request()
        _policy(client, check)
    except InvalidClientError as error:
        return error.status_code, dict(error.get_body())
    except OAuth2Error as error:
        return 400, dict(error.get_body())
    ident = secrets.token_urlsafe(32)
    expires = provider.now + timedelta(seconds=PAR_SECONDS)
    session.add(
        PushedRequest(id=ident, client_id=client.client_id, params=params, expires_at=expires)
    )
    session.flush()
    return 201, {
        "request_uri": f"urn:ietf:params:oauth:request_uri:{ident}",
        "expires_in": PAR_SECONDS,
    }


_CLIENT_AUTH_FIELDS = frozenset({"client_secret", "client_assertion", "client_assertion_type"})


def authorize(
    session: Session,
    provider: Provider,
    request: HttpRequest,
    cookie: Mapping[str, Any],
    *,
    here: str,
    decision: str | None = None,
    settings: Settings | None = None,
) -> Outcome:
    """One pass of the authorization endpoint (GET, or POST from the consent page)."""
    now = int(provider.now.timestamp())
    if (refused := params_refusal(request.args)) is not None:
        return Refuse("invalid_request", refused)  # no redirect: the redirect_uri is suspect
    params, par = _resolve(session, provider, request)
    if isinstance(params, Refuse):
        return params
    req = HttpRequest("GET", request.uri, request.headers, params, {})
    try:
        grant = provider.get_authorization_grant(req)
        redirect_uri = grant.validate_authorization_request()
    except OAuth2Error as error:
        if not error.redirect_uri:
            return Refuse(error.error, error.get_error_description() or error.error)
        return _error_redirect(provider, error, params)
    client = req.client
    try:
        _policy(client, req, via_par=par is not None)
        login = logins.current_login(cookie, session, settings=settings)
        if login is None:
            if _prompt(params, "none"):
                raise OAuth2Error(error="login_required")
            return Redirect(f"{logins.LOGIN_URL}?{urlencode({'next': here})}")
        if _needs_reauth(params, login, now):
            if _prompt(params, "none"):
                raise OAuth2Error(error="login_required")
            return Redirect(
                f"{logins.LOGIN_URL}?{urlencode({'next': _with_reauth(here, now, login)})}"
            )
        required = _required_level(client, params)
        if login.account_level < required or login.account_level < 1:
            raise AccessDeniedError(
                description="The account's level is below what the service requires"
            )
        if decision == "deny":  # from the consent page, or leaving the step-up page
            raise AccessDeniedError()
        if login.level(now) < required:
            if _prompt(params, "none"):
                raise OAuth2Error(error="interaction_required")
            return Redirect(f"{logins.STEP_UP_URL}?{urlencode({'next': here})}")
        scopes = scope_to_list(req.scope) or []
        if decision == "allow":
            _remember_consent(session, login.account_id, client.client_id, scopes, provider)
        elif not _has_consent(session, login.account_id, client.client_id, scopes) or (
            _prompt(params, "consent")
        ):
            if _prompt(params, "none"):
                raise OAuth2Error(error="consent_required")
            return AskConsent(
                client_name=client.row.name,
                scopes=scopes,
                params=dict(request.args),
                claims={s: SCOPE_CLAIMS.get(s, ()) for s in scopes},
                account_name=login.display_name,
            )
        subject = Subject(
            account_id=login.account_id,
            pid=login.citizen_pid,
            sid=logins.public_sid(login.session_id),
            auth_time=login.auth_time,
            acr=login.acr(now),
            amr=login.amr,
            step_up_until=login.step_up_until if login.level(now) == 2 else None,
        )
        if par is not None and not _use_par(session, par, provider):
            raise InvalidRequestError("The pushed request was already used")
        _status, _body, headers = grant.create_authorization_response(redirect_uri, subject)
    except OAuth2Error as error:
        error.redirect_uri = redirect_uri
        if par is not None:
            _use_par(session, par, provider)
        return _error_redirect(provider, error, params)
    return Redirect(add_params_to_uri(dict(headers)["Location"], [("iss", provider.issuer)]))


@dataclass(frozen=True)
class GivenConsent:
    client_id: str
    client_name: str
    scopes: list[str]
    granted_at: Any


def consents_of(session: Session, account_id: int) -> list[GivenConsent]:
    """The services an account lets see its data (for the account page, with a revoke)."""
    rows = session.execute(
        select(Consent, OidcClient.name)
        .join(OidcClient, OidcClient.client_id == Consent.client_id)
        .where(Consent.account_id == account_id, Consent.revoked_at.is_(None))
        .order_by(Consent.granted_at.desc())
    ).all()
    return [GivenConsent(c.client_id, name, list(c.scopes), c.granted_at) for c, name in rows]


def revoke_consent(session: Session, account_id: int, client_id: str) -> bool:
    result = session.execute(
        update(Consent)
        .where(
            Consent.account_id == account_id,
            Consent.client_id == client_id,
            Consent.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _resolve(
    session: Session, provider: Provider, request: HttpRequest
) -> tuple[Any, PushedRequest | None]:
    """The request's parameters: from the query, or from a pushed request (request_uri)."""
    params = dict(request.args)
    uri = params.get("request_uri")
    if not uri:
        return params, None
    prefix = "urn:ietf:params:oauth:request_uri:"
    par = session.get(PushedRequest, uri[len(prefix) :]) if uri.startswith(prefix) else None
    if par is None or par.client_id != params.get("client_id") or par.expires_at <= provider.now:
        return Refuse("invalid_request_uri", "The request_uri is unknown or expired"), None
    if par.used_at is not None:
        return Refuse("invalid_request_uri", "The request_uri was already used"), None
    stored = dict(par.params)
    for key in (REAUTH_PARAM,):  # our own marker rides on the URL, not in the pushed request
        if key in params:
            stored[key] = params[key]
    return stored, par


def _use_par(session: Session, par: PushedRequest, provider: Provider) -> bool:
    result = session.execute(
        update(PushedRequest)
        .where(PushedRequest.id == par.id, PushedRequest.used_at.is_(None))
        .values(used_at=provider.now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _prompt(params: Mapping[str, Any], value: str) -> bool:
    """Whether ``prompt`` (a space-separated list, OIDC Core 3.1.2.1) asks for ``value``."""
    return value in str(params.get("prompt") or "").split()


def _policy(client: Any, req: HttpRequest, *, via_par: bool = True) -> None:
    """Our profile on top of RFC 6749: PKCE S256 always, PAR for FAPI 2.0, known scopes; no
    request object (discovery says so: ignoring one would drop what the client signed)."""
    data = req.payload.data
    if data.get("request"):
        raise OAuth2Error(
            error="request_not_supported", description="Request objects are not supported"
        )
    if _prompt(data, "none") and len(str(data.get("prompt")).split()) > 1:
        raise InvalidRequestError("prompt=none cannot be combined with another prompt")
    if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
        raise InvalidRequestError("PKCE with S256 is required")
    if client.fapi2 and not via_par:
        raise InvalidRequestError("FAPI 2.0 clients must use a pushed authorization request")
    if data.get("response_mode") not in (None, "query"):  # discovery lists "query" alone
        raise InvalidRequestError("Only the query response mode is supported")
    requested = set(scope_to_list(data.get("scope")) or [])
    if "openid" not in requested:
        raise InvalidRequestError("The openid scope is required")

    if requested - set(client.row.scopes):
        raise InvalidScopeError()


def _required_level(client: Any, params: dict[str, str]) -> int:
    wanted = set((params.get("acr_values") or "").split())
    if client.row.required_acr == logins.ACR_LEVEL2 or logins.ACR_LEVEL2 in wanted:
        return 2
    return 1


def _needs_reauth(params: dict[str, str], login: logins.Login, now: int) -> bool:
    """prompt=login or max_age: the user must sign in again after our signed marker was set.

    The marker names (a digest of) the session that was asked to sign in again, so only a
    new sign-in (a new session) that is not older than the marker satisfies it.
    """
    forced = _prompt(params, "login")
    max_age = params.get("max_age")
    if max_age is not None and max_age.isdigit() and now - login.auth_time > int(max_age):
        forced = True
    if not forced:
        return False
    marker = _read_reauth(params.get(REAUTH_PARAM))
    if marker is None:
        return True
    since, old_session = marker
    return login.auth_time < since or _session_tag(login.session_id) == old_session


def _with_reauth(here: str, now: int, login: logins.Login) -> str:
    sep = "&" if "?" in here else "?"
    marker = _sign_reauth(f"{now}.{_session_tag(login.session_id)}")
    return f"{here}{sep}{urlencode({REAUTH_PARAM: marker})}"


def _session_tag(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()[:16]


def _sign_reauth(content: str) -> str:
    mac = hmac.new(_reauth_key(), content.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{content}.{mac}"


def _read_reauth(value: str | None) -> tuple[int, str] | None:
    """(when, which session) from a valid, recent marker; None if forged or stale."""
    parts = (value or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    if not hmac.compare_digest(_sign_reauth(f"{parts[0]}.{parts[1]}"), value or ""):
        return None
    if time.time() - int(parts[0]) > REAUTH_SECONDS:
        return None
    return int(parts[0]), parts[1]


def _reauth_key() -> bytes:
    return hashlib.sha256(b"dancu oidc reauth\x00" + get_settings().secret_key.encode()).digest()


def _has_consent(session: Session, account_id: int, client_id: str, scopes: list[str]) -> bool:
    row = session.get(Consent, (account_id, client_id))
    return row is not None and row.revoked_at is None and set(scopes) <= set(row.scopes)


def _remember_consent(
    session: Session, account_id: int, client_id: str, scopes: list[str], provider: Provider
) -> None:
    row = session.get(Consent, (account_id, client_id))
    if row is None:
        session.add(
            Consent(
                account_id=account_id,
                client_id=client_id,
                scopes=sorted(scopes),
                granted_at=provider.now,
            )
        )
    else:
        kept = set(row.scopes) if row.revoked_at is None else set()
        row.scopes, row.revoked_at, row.granted_at = sorted(kept | set(scopes)), None, provider.now
    session.flush()


def _error_redirect(provider: Provider, error: OAuth2Error, params: dict[str, str]) -> Redirect:
    pairs = [("error", error.error)]
    if error.description:
        pairs.append(("error_description", error.description))
    if params.get("state"):
        pairs.append(("state", params["state"]))
    pairs.append(("iss", provider.issuer))
    return Redirect(add_params_to_uri(error.redirect_uri, pairs))
