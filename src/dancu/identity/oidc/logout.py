"""OpenID Connect RP-initiated logout 1.0: what a logout request may ask, and of whom.

A relying party sends the browser to ``end_session_endpoint`` with ``id_token_hint`` (an ID
token this provider issued to it), ``post_logout_redirect_uri`` and ``state``. This module
checks them, without HTTP: the hint's signature (any published key; an expired hint is
still a hint, as the specification asks), its issuer and its audience, a registered
client; the redirect must be one of that client's registered URIs, compared exactly, so the
endpoint is no open redirect. The pages (``identity/pages/logout.py``) then end the login
at once only when the hint names this browser's login session (its ``sid``); otherwise
the holder confirms with a CSRF-checked form, so a link alone cannot sign anyone out.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from authlib.common.urls import add_params_to_uri
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy.orm import Session

from dancu.common.errors import ValidationFailed
from dancu.db import utcnow
from dancu.identity.auth import session as logins
from dancu.identity.keys import service as keys
from dancu.identity.oidc import clients as oidc_clients
from dancu.identity.oidc import tokens as oidc_tokens

ALGORITHMS = ["ES256", "RS256"]
PARAMETERS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")


@dataclass(frozen=True)
class LogoutRequest:
    """A checked logout request: for which client, where to go after, which session."""

    client_id: str | None = None
    client_name: str | None = None
    redirect: str | None = None  # post_logout_redirect_uri with state, when one was asked
    hint_sid: str | None = None  # the sid of a valid id_token_hint
    params: Mapping[str, str] | None = None  # what to carry through the confirmation form

    def names_session(self, session_id: str) -> bool:
        """Whether the hint was issued for this login session (the sid relying parties see)."""
        return self.hint_sid is not None and self.hint_sid == logins.public_sid(session_id)


def _refuse(message: str, code: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code=f"oidc.{code}", field=field)


def _hint_claims(db: Session, hint: str, issuer: str) -> dict[str, Any]:
    """The claims of an ID token this provider signed; its expiry does not matter here."""
    try:
        claims = jwt.decode(hint, keys.verification_keys(db, "oidc"), algorithms=ALGORITHMS).claims
    except (JoseError, ValueError) as exc:
        raise _refuse(
            "The id_token_hint is not an ID token of this provider",
            "logout_hint_invalid",
            "id_token_hint",
        ) from exc
    if claims.get("iss") != issuer:
        raise _refuse(
            "The id_token_hint was issued by another provider",
            "logout_hint_invalid",
            "id_token_hint",
        )
    return claims


def _audience(claims: dict[str, Any]) -> str | None:
    aud = claims.get("aud")
    if isinstance(aud, list):
        aud = aud[0] if len(aud) == 1 else claims.get("azp")
    return aud if isinstance(aud, str) else None


def check_request(db: Session, params: Mapping[str, str], *, issuer: str) -> LogoutRequest:
    """The request's parameters checked; ``ValidationFailed`` (``oidc.logout_*``) naming the
    parameter otherwise. Nothing is ended here."""
    kept = {k: params[k] for k in PARAMETERS if isinstance(params.get(k), str) and params[k]}
    claims = _hint_claims(db, kept["id_token_hint"], issuer) if "id_token_hint" in kept else {}
    client_id = kept.get("client_id")
    if claims:
        audience = _audience(claims)
        if client_id and client_id != audience:
            raise _refuse(
                "The client_id is not the ID token's audience",
                "logout_client_mismatch",
                "client_id",
            )
        client_id = audience
    client = oidc_clients.get_client(db, client_id) if client_id else None
    if client_id and client is None:
        raise _refuse("The client is unknown or inactive", "logout_client_unknown", "client_id")
    redirect = kept.get("post_logout_redirect_uri")
    if redirect is not None:
        if client is None:
            raise _refuse(
                "A post_logout_redirect_uri needs an id_token_hint or a client_id",
                "logout_client_required",
                "post_logout_redirect_uri",
            )
        if redirect not in client.row.redirect_uris:  # exact string match, no patterns
            raise _refuse(
                "The post_logout_redirect_uri is not registered for this client",
                "logout_redirect_unregistered",
                "post_logout_redirect_uri",
            )
        if "state" in kept:
            redirect = add_params_to_uri(redirect, [("state", kept["state"])])
    sid = claims.get("sid")
    return LogoutRequest(
        client_id=client.client_id if client else None,
        client_name=client.row.name if client else None,
        redirect=redirect,
        hint_sid=sid if isinstance(sid, str) else None,
        params=kept,
    )


def sign_out(cookie: MutableMapping[str, Any], db: Session) -> None:
    """End this browser's login: the session row, the cookie session (officer roles
    included) and every token relying parties got under that login (access and refresh),
    so signing out of the e-ID is not undone by a relying party's refresh."""
    sid = cookie.get(logins.SESSION_KEY)
    if isinstance(sid, str) and sid:
        oidc_tokens.revoke_for_login(db, logins.public_sid(sid), now=utcnow())
    logins.end_login(cookie, db)
