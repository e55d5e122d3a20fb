"""The Authlib authorization server, bound to one database session per request.

Authlib does the protocol: request validation, client authentication (``client_secret_basic``,
``none``, and ``private_key_jwt`` through its RFC 7523 ``JWTBearerClientAssertion``), PKCE
(``CodeChallenge``), the OpenID Connect code flow (``OpenIDCode``), refresh and client
credentials grants, revocation (RFC 7009) and introspection (RFC 7662). This module supplies
the storage (``oidc_tokens``), the ID-token claims and what Authlib 1.9 lacks: DPoP binding
(``token_type`` DPoP with ``cnf.jkt``) and the FAPI 2.0 rules.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    scope_to_list,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant as _CodeGrant
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant as _ClientCredentials
from authlib.oauth2.rfc6749.grants import RefreshTokenGrant as _RefreshGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7009 import RevocationEndpoint as _Revocation
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _Introspection
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from sqlalchemy.orm import Session

from dancu.db import utcnow
from dancu.identity.keys import service as keys
from dancu.identity.oidc import claims
from dancu.identity.oidc import tokens as oidc_tokens
from dancu.identity.oidc.clients import RegisteredClient, get_client
from dancu.identity.oidc.dpop import first_use
from dancu.identity.oidc.gates import client_gates
from dancu.identity.oidc.subject import Subject

ACCESS_TOKEN_SECONDS = 600
ID_TOKEN_SECONDS = 600
AUTH_METHODS = ["client_secret_basic", "private_key_jwt", "none"]
CONFIDENTIAL_METHODS = ["client_secret_basic", "private_key_jwt"]


class HttpRequest(OAuth2Request):
    """A framework-free snapshot of the HTTP request for Authlib."""

    def __init__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        form: Mapping[str, str],
    ) -> None:
        # TLS ends at the reverse proxy, so the app sees http://; Authlib's transport check
        # would refuse every request there. Transport security is the deployment's job.
        secure = "https://" + url.split("://", 1)[-1]
        super().__init__(method, secure, headers=headers)  # case-insensitive (Starlette)
        self._query, self._form = dict(query), dict(form)
        self.payload = BasicOAuth2Payload({**self._query, **self._form})

    @property
    def args(self) -> dict[str, str]:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self._form


class Provider(AuthorizationServer):
    """One per request: Authlib's server with this request's session and clock."""

    def __init__(
        self,
        session: Session,
        issuer: str,
        *,
        now: datetime | None = None,
        client_cache: bool = False,
    ) -> None:
        super().__init__(scopes_supported=None)
        self.session, self.issuer = session, issuer
        # The token endpoint may authenticate on a cached client (clients.ClientCache);
        # ``cached_client`` says whether it did, so a refusal is re-decided on a fresh read.
        self.client_cache, self.cached_client = client_cache, False
        self.now = now or utcnow()
        self.dpop_jkt: str | None = None  # set by the route after checking a DPoP proof
        self.register_client_auth_method("private_key_jwt", PrivateKeyJWT(self))
        self.register_grant(CodeGrant, [CodeChallenge(required=True), IdToken(self)])
        self.register_grant(RefreshGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Revocation(self))
        self.register_endpoint(Introspection(self))

    # -- Authlib's framework hooks --------------------------------------------------------
    def query_client(self, client_id: str) -> RegisteredClient | None:
        client = get_client(self.session, client_id, cached=self.client_cache)
        self.cached_client = self.cached_client or (client is not None and client.cached)
        return client

    def create_oauth2_request(self, request: HttpRequest) -> HttpRequest:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, dict]:
        return status, body, dict(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    # -- tokens ---------------------------------------------------------------------------
    def generate_token(  # type: ignore[override]
        self,
        grant_type: str,
        client: RegisteredClient,
        user: Subject | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        if client.fapi2 and self.dpop_jkt is None:
            raise InvalidRequestError("FAPI 2.0 clients must send a DPoP proof")
        token = {
            "token_type": "DPoP" if self.dpop_jkt else "Bearer",
            "access_token": secrets.token_urlsafe(32),
            "expires_in": ACCESS_TOKEN_SECONDS,
        }
        if scope:
            token["scope"] = scope
        if include_refresh_token and user is not None and client.check_grant_type("refresh_token"):
            token["refresh_token"] = secrets.token_urlsafe(32)
        return token

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        oidc_tokens.save(self.session, token, request, jkt=self.dpop_jkt, now=self.now)

    # -- ID tokens ------------------------------------------------------------------------
    def id_token(self, token: dict[str, Any], request: OAuth2Request) -> str:
        client: RegisteredClient = request.client
        user: Subject = request.user
        code = request.authorization_code
        now = int(self.now.timestamp())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": claims.subject(user.account_id, client.client_id, client.row.subject_type),
            "aud": client.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_SECONDS,
            "auth_time": user.auth_time,
            "acr": user.acr,
            "amr": list(user.amr),
            "sid": user.sid,
        }
        if code is not None and code.row.nonce:
            payload["nonce"] = code.row.nonce
        # the code claim read the current key's id (one round trip fewer per exchange)
        kid = code.row.signing_kid if code is not None else None
        key = keys.signing_key(self.session, oidc_tokens.ID_TOKEN_KEYS, kid)
        if at_hash := create_half_hash(token["access_token"], key.alg or "ES256"):
            payload["at_hash"] = at_hash.decode()
        return jwt.encode({"alg": key.alg or "ES256", "kid": key.kid, "typ": "JWT"}, payload, key)


class IdToken(OpenIDCode):
    """Authlib's OpenID code extension with our signing keys and claims."""

    def __init__(self, provider: Provider) -> None:
        super().__init__(require_nonce=False)
        self.provider = provider

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # nonces are the client's replay check; codes are single-use here

    def encode_id_token(self, token: dict[str, Any], request: OAuth2Request) -> str:
        return self.provider.id_token(token, request)


class CodeGrant(_CodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        oidc_tokens.save_code(self.server.session, code, request, now=self.server.now)

    def query_authorization_code(self, code: str, client: RegisteredClient) -> Any:
        found = oidc_tokens.claim_code(self.server.session, code, client, now=self.server.now)
        if found is not None and found.row.dpop_jkt and found.row.dpop_jkt != self.server.dpop_jkt:
            return None  # the code was bound to a DPoP key (dpop_jkt) the caller lacks
        return found

    def delete_authorization_code(self, authorization_code: Any) -> None:
        return None  # claimed (used_at set) atomically in query_authorization_code

    def authenticate_user(self, authorization_code: Any) -> Subject:
        return authorization_code.subject()


class RefreshGrant(_RefreshGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Any:
        """The claimed token, or None (``invalid_grant``) when it is unknown, spent, revoked,
        expired, or its login session has ended (revoked, idle or past its absolute limit:
        the holder signs in again; read by the claim itself)."""
        server: Provider = self.server
        found = oidc_tokens.claim_refresh(
            server.session, refresh_token, server.dpop_jkt, server.now
        )
        return found if found is not None and found.row.session_live else None

    def authenticate_user(self, refresh_token: Any) -> Subject | None:
        """The account must still be active (closed accounts, e.g. by death, refresh nothing)."""
        subject = refresh_token.subject(int(self.server.now.timestamp()))
        if subject is None:
            return None
        # read by the refresh claim itself (oidc_tokens._CLAIM_REFRESH), same transaction
        return subject if refresh_token.row.account_status == "active" else None

    def revoke_old_credential(self, refresh_token: Any) -> None:
        return None  # the old pair was marked refreshed when it was claimed


class ClientCredentialsGrant(_ClientCredentials):
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_METHODS

    def validate_token_request(self) -> None:
        super().validate_token_request()
        # Only the scopes registered for the client (Authlib checks them against the
        # server's list, which is none here): a partner asked for wallet.manage and got it.
        client: RegisteredClient = self.request.client
        requested = scope_to_list(self.request.payload.scope) or []
        if set(requested) - set(client.row.scopes):
            raise InvalidScopeError()
        # A domain above identity may refuse the authenticated client (gates.py): the
        # exchange's revoked, expired or rotated-out partner credentials get no new token.
        server: Provider = self.server
        client_id = self.request.client.get_client_id()
        if (refused := client_gates.refusal(server.session, client_id, server.now)) is not None:
            raise InvalidClientError(description=refused, status_code=401)


class PrivateKeyJWT(JWTBearerClientAssertion):
    """RFC 7523 client authentication under its OIDC name, with a jti replay cache."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, provider: Provider) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self.provider = provider

    def get_audiences(self) -> list[str]:
        """The issuer, or the endpoint the assertion is sent to (RFC 7523 3: the token
        endpoint MAY be the audience; clients name the revocation and introspection
        endpoints the same way when they call those)."""
        base = self.provider.issuer
        return [base, *(f"{base}/oidc/{name}" for name in ("token", "par", "revoke", "introspect"))]

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        expires = datetime.fromtimestamp(int(claims["exp"]), tz=self.provider.now.tzinfo)
        expires = max(expires, self.provider.now) + timedelta(seconds=self.leeway)
        return first_use(self.provider.session, "assertion", str(claims["iss"]), str(jti), expires)

    def resolve_client_public_key(self, client: RegisteredClient) -> Any:
        return client.public_keys()


class Revocation(_Revocation):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return oidc_tokens.find(self.server.session, token_string, token_type_hint)

    def revoke_token(self, token: Any, request: OAuth2Request) -> None:
        oidc_tokens.revoke(self.server.session, token, now=self.server.now)


class Introspection(_Introspection):
    CLIENT_AUTH_METHODS = CONFIDENTIAL_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return oidc_tokens.find(self.server.session, token_string, token_type_hint)

    def check_permission(
        self, token: Any, client: RegisteredClient, request: OAuth2Request
    ) -> bool:
        return bool(token.check_client(client))

    def introspect_token(self, token: Any) -> dict[str, Any]:
        client = get_client(self.server.session, token.row.client_id)
        return token.introspection(self.server.issuer, client.row.subject_type if client else "")
