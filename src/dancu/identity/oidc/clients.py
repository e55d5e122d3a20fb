"""Relying parties: registration (the CLI) and the Authlib ``ClientMixin`` view of a row.

Three kinds: confidential with ``client_secret_basic`` (the secret is shown once and kept
as a SHA-256 digest: it is 256 random bits, so a slow hash buys nothing), confidential with
``private_key_jwt`` (RFC 7523; the client's public JWKS is registered), and public
(``none``: PKCE is then mandatory). A ``fapi2`` client must use ``private_key_jwt``, PAR,
PKCE and DPoP; that is enforced at registration and at every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin, list_to_scope, scope_to_list
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dancu.common.errors import Conflict, NotFound, ValidationFailed
from dancu.identity.auth.session import ACR_LEVEL1, ACR_LEVEL2
from dancu.identity.errors import IdentityErrorCode
from dancu.identity.oidc.models import OidcClient

SCOPES = ("openid", "profile", "dancu_pid", "address")
# The JSON APIs' scopes (identity/oidc/bearer.py API_SCOPES): partners (client_credentials)
# and officers' apps (code flow) ask for them.
PARTNER_SCOPES = (
    "registry.read",
    "registry.write",
    "linkage.read",
    "linkage.write",
    "wallet.manage",
    "exchange.registries.write",
    "exchange.use",
    "procedures.read",
    "procedures.write",
    "procedures.npsp",
    "payments.read",
)
AUTH_METHODS = ("client_secret_basic", "private_key_jwt", "none")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
ACR_VALUES = (ACR_LEVEL1, ACR_LEVEL2)


@dataclass(frozen=True)
class NewClient:
    client: OidcClient
    secret: str | None  # shown once, never stored


class RegisteredClient(ClientMixin):
    """The Authlib view of an ``OidcClient`` row; ``cached``: taken from ``CLIENT_CACHE``,
    so only as fresh as the check of its ``version`` (see ``ClientCache``)."""

    def __init__(self, row: OidcClient, *, cached: bool = False) -> None:
        self.row = row
        self.client_id = row.client_id
        self.cached = cached

    @property
    def is_public(self) -> bool:
        return self.row.auth_method == "none"

    @property
    def fapi2(self) -> bool:
        return self.row.fapi2

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.row.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        allowed = set(self.row.scopes)
        return list_to_scope([s for s in scope_to_list(scope) if s in allowed])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # exact string match, no patterns

    def check_client_secret(self, client_secret: str) -> bool:
        if not self.row.secret_hash:
            return False
        return hmac.compare_digest(self.row.secret_hash, secret_digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.row.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.row.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.grant_types

    def public_keys(self) -> KeySet:
        return KeySet.import_key_set(self.row.jwks or {"keys": []})  # type: ignore[arg-type]


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_CLIENTS = OidcClient.__table__
_BY_ID = select(*_CLIENTS.c).where(
    _CLIENTS.c.client_id == bindparam("client_id"), _CLIENTS.c.active.is_(True)
)


class StaleClient(Exception):
    """A cached client row did not match the database: the grant is undone and run again
    on the row as it is now (``identity/oidc/api.py``)."""


class ClientCache:
    """The token endpoint's per-process copy of the client rows it read, by client id.

    A copy is used only where the grant checks it against the database in a statement it
    runs anyway: the token INSERT of a successful grant names the cached ``version`` and
    ``active`` (``tokens.save``), and inserts nothing if either changed; the grant is then
    undone and run again on a fresh read (``StaleClient``). ``version`` is random and
    replaced by a trigger on every write of the row (migration 0020), so an edited,
    deactivated or recreated client, or a row of a transaction that rolled back, never
    passes for the cached one. A refusal decided on a cached copy is not trusted either: the
    endpoint runs the request again on a fresh read before answering with it. So nothing a
    revocation must reach is served from the cache unchecked.
    """

    def __init__(self, size: int = 512) -> None:
        self._rows: OrderedDict[str, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, client_id: str) -> Any | None:
        with self._lock:
            row = self._rows.get(client_id)
            if row is not None:
                self._rows.move_to_end(client_id)
            return row

    def put(self, row: Any) -> None:
        with self._lock:
            self._rows[row.client_id] = row
            self._rows.move_to_end(row.client_id)
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)

    def drop(self, client_id: str) -> None:
        with self._lock:
            self._rows.pop(client_id, None)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


CLIENT_CACHE = ClientCache()


def get_client(
    session: Session, client_id: str | None, *, cached: bool = False
) -> RegisteredClient | None:
    """An active client (one cached Core statement: this is on every token request);
    ``cached``: the token endpoint's copy when it has one (see ``ClientCache``)."""
    if not client_id or not isinstance(client_id, str) or len(client_id) > 64:
        return None
    if "\x00" in client_id:  # no such id (PostgreSQL would refuse the NUL: a 500)
        return None
    if cached and (row := CLIENT_CACHE.get(client_id)) is not None:
        return RegisteredClient(row, cached=True)
    # On the session's connection: a Core statement needs none of the ORM's execute path.
    row = session.connection().execute(_BY_ID, {"client_id": client_id}).first()
    if row is None:
        CLIENT_CACHE.drop(client_id)
        return None
    CLIENT_CACHE.put(row)
    return RegisteredClient(row)  # type: ignore[arg-type]


def list_clients(session: Session) -> list[OidcClient]:
    return list(session.scalars(select(OidcClient).order_by(OidcClient.client_id)))


def add_client(
    session: Session,
    *,
    client_id: str,
    name: str,
    auth_method: str,
    redirect_uris: Iterable[str] = (),
    scopes: Iterable[str] = ("openid", "profile"),
    grant_types: Iterable[str] = ("authorization_code", "refresh_token"),
    jwks: dict[str, Any] | None = None,
    required_acr: str | None = None,
    fapi2: bool = False,
    subject_type: str = "pairwise",
) -> NewClient:
    """Register a relying party; returns the secret of a ``client_secret_basic`` client."""
    uris, scope_list, grants = list(redirect_uris), list(scopes), list(grant_types)
    _check(auth_method, uris, scope_list, grants, jwks, required_acr, fapi2, subject_type)
    if session.get(OidcClient, client_id) is not None:
        raise Conflict(
            "A client with this id exists",
            code=IdentityErrorCode.OIDC_CLIENT_EXISTS,
            field="client_id",
        )
    secret = secrets.token_urlsafe(32) if auth_method == "client_secret_basic" else None
    row = OidcClient(
        client_id=client_id,
        name=name,
        auth_method=auth_method,
        secret_hash=secret_digest(secret) if secret else None,
        jwks=jwks,
        redirect_uris=uris,
        scopes=scope_list,
        grant_types=grants,
        required_acr=required_acr,
        fapi2=fapi2,
        subject_type=subject_type,
        active=True,
    )
    session.add(row)
    session.flush()
    return NewClient(row, secret)


def set_redirect_uris(session: Session, client_id: str, uris: list[str]) -> bool:
    """Re-point a registered client's redirect URIs; False when there is no such client."""
    row = session.get(OidcClient, client_id)
    if row is None:
        return False
    row.redirect_uris = uris
    session.flush()
    return True


def set_client_jwks(session: Session, client_id: str, jwks: dict[str, Any]) -> OidcClient:
    """Replace a ``private_key_jwt`` client's public keys (the client rotated its keys)."""
    row = session.get(OidcClient, client_id)
    if row is None:
        raise NotFound(
            "No such client", code=IdentityErrorCode.OIDC_CLIENT_UNKNOWN, field="client_id"
        )
    _check_jwks(jwks)
    row.jwks = jwks
    session.flush()
    return row


def _check(
    auth_method: str,
    uris: list[str],
    scopes: list[str],
    grants: list[str],
    jwks: dict[str, Any] | None,
    required_acr: str | None,
    fapi2: bool,
    subject_type: str,
) -> None:
    def bad(message: str, code: str, field: str) -> ValidationFailed:
        return ValidationFailed(message, code=code, field=field)

    if auth_method not in AUTH_METHODS:
        raise bad("Unknown client authentication method", "oidc.client_auth_method", "auth_method")
    if unknown := set(grants) - set(GRANT_TYPES):
        raise bad(f"Unknown grant types: {sorted(unknown)}", "oidc.client_grant", "grant_types")
    if unknown := set(scopes) - set(SCOPES) - set(PARTNER_SCOPES):
        raise bad(f"Unknown scopes: {sorted(unknown)}", "oidc.client_scope", "scopes")
    if "authorization_code" in grants and not uris:
        raise bad("A redirect URI is required", "oidc.client_redirect", "redirect_uris")
    for uri in uris:
        parts = urlsplit(uri)
        local = parts.hostname in ("localhost", "127.0.0.1")
        if (
            parts.fragment
            or parts.scheme not in ("https", "http")
            or (parts.scheme == "http" and not local)
        ):
            raise bad(
                "Redirect URIs are absolute https URLs", "oidc.client_redirect", "redirect_uris"
            )
    if auth_method == "none" and "client_credentials" in grants:
        raise bad(
            "A public client cannot use client credentials", "oidc.client_grant", "grant_types"
        )
    if auth_method == "private_key_jwt":
        _check_jwks(jwks)
    if required_acr is not None and required_acr not in ACR_VALUES:
        raise bad("Unknown acr value", "oidc.client_acr", "required_acr")
    if fapi2 and auth_method != "private_key_jwt":
        raise bad("FAPI 2.0 clients use private_key_jwt", "oidc.client_fapi2", "auth_method")
    if subject_type not in ("pairwise", "public"):
        raise bad("Subject type is pairwise or public", "oidc.client_subject", "subject_type")


def _check_jwks(jwks: dict[str, Any] | None) -> None:
    try:
        keys = KeySet.import_key_set(jwks or {"keys": []})  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ValidationFailed(
            "Unreadable JWKS", code=IdentityErrorCode.OIDC_CLIENT_JWKS, field="jwks"
        ) from exc
    if not keys.keys or any(k.is_private for k in keys.keys):
        raise ValidationFailed(
            "The client's JWKS must hold public keys only",
            code=IdentityErrorCode.OIDC_CLIENT_JWKS,
            field="jwks",
        )
