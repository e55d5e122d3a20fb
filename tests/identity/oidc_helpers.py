"""A relying party's side of the protocol for the OIDC tests: PKCE, DPoP, client assertions."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import Request
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy.orm import Session

from dancu.identity.accounts.models import Account
from dancu.identity.auth import session as logins
from dancu.identity.oidc import clients as oidc_clients
from dancu.identity.oidc.dpop import access_token_hash
from dancu.web.deps import DbSession

ISSUER = "http://testserver"
REDIRECT = "https://rp.example.vn/cb"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, b64(hashlib.sha256(verifier.encode()).digest())


def dpop_proof(
    key: ECKey,
    method: str,
    url: str,
    *,
    access_token: str | None = None,
    jti: str | None = None,
    iat: int | None = None,
) -> str:
    claims: dict[str, Any] = {
        "jti": jti or secrets.token_urlsafe(12),
        "htm": method,
        "htu": url,
        "iat": iat or int(time.time()),
    }
    if access_token:
        claims["ath"] = access_token_hash(access_token)
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}
    return jwt.encode(header, claims, key)


def client_assertion(key: ECKey, client_id: str, *, jti: str | None = None) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": ISSUER,
        "iat": now,
        "exp": now + 60,
        "jti": jti or secrets.token_urlsafe(12),
    }
    token = jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)
    return {
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": token,
    }


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def add_test_login_routes(app: Any) -> None:
    """Test-only: sign a browser in as an account (A1's begin_login) and step it up."""

    @app.post("/_test/login/{account_id}")
    def _login(account_id: int, request: Request, db: DbSession) -> dict[str, str]:
        account = db.get(Account, account_id)
        assert account is not None
        found = logins.begin_login(
            request.session, db, account, ["pwd", "otp"], "127.0.0.1", "test"
        )
        return {"sid": found.session_id}

    @app.post("/_test/step-up")
    def _step_up(request: Request, db: DbSession) -> dict[str, int]:
        found = logins.current_login(request.session, db)
        assert found is not None
        raised = logins.step_up(db, found, "totp")
        return {"until": raised.step_up_until or 0}


@dataclass
class RP:
    """A registered relying party and how it authenticates."""

    client_id: str
    secret: str | None = None
    key: ECKey | None = None
    fapi2: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def auth(self, form: dict[str, str]) -> tuple[dict[str, str], Any]:
        if self.secret:
            return form, (self.client_id, self.secret)
        if self.key is not None:
            return {**form, **client_assertion(self.key, self.client_id)}, None
        return {**form, "client_id": self.client_id}, None


def register(session: Session, client_id: str, method: str, **options: Any) -> RP:
    key = None
    if method == "private_key_jwt":
        key = ECKey.generate_key("P-256", private=True, auto_kid=True)
        options["jwks"] = {"keys": [key.as_dict(private=False)]}
    options.setdefault("redirect_uris", [REDIRECT])
    options.setdefault("scopes", ["openid", "profile", "dancu_pid", "address"])
    created = oidc_clients.add_client(
        session, client_id=client_id, name=f"RP {client_id}", auth_method=method, **options
    )
    session.flush()
    return RP(client_id, created.secret, key, bool(options.get("fapi2")))


def authorize(
    client: TestClient, rp: RP, *, scope: str = "openid profile", **extra: str
) -> tuple[Any, str]:
    """GET /oidc/authorize with PKCE; returns the response and the verifier."""
    verifier, challenge = pkce()
    params = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "st4te",
        "nonce": "n0nce",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    params = {k: v for k, v in params.items() if v != ""}
    return client.get("/oidc/authorize", params=params, follow_redirects=False), verifier


def consent(client: TestClient, page: Any, decision: str = "allow") -> Any:
    """Submit the consent form shown on ``page``."""
    import re

    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    import html

    fields = {k: html.unescape(v) for k, v in fields.items()}
    return client.post(
        "/oidc/authorize", data={**fields, "decision": decision}, follow_redirects=False
    )


def exchange(client: TestClient, rp: RP, code: str, verifier: str | None, **headers: str) -> Any:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier is not None:
        form["code_verifier"] = verifier
    form, auth = rp.auth(form)
    return client.post("/oidc/token", data=form, auth=auth, headers=headers)
