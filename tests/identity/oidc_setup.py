"""A signed-in browser, a registered relying party and its ID token, for the provider tests
that drive the whole flow (issuer pinning, RP-initiated logout)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dancu.identity.accounts.models import Account
from tests.identity import helpers
from tests.identity.oidc_helpers import (
    RP,
    add_test_login_routes,
    authorize,
    consent,
    exchange,
    query,
    register,
)


@dataclass
class Browser:
    web: TestClient
    account: Account
    rp: RP
    sid: str  # the login session's id (not what relying parties see)


def signed_in_browser(app: Any, session: Session, **headers: str) -> Browser:
    """A browser signed in to the e-ID (a real login session) and a confidential client."""
    add_test_login_routes(app)
    web = TestClient(app, headers=headers)
    account = helpers.active_account(session, helpers.citizen(session, "Lê Văn Cường"))
    answer = web.post(f"/_test/login/{account.id}")
    assert answer.status_code == 200, answer.text
    rp = register(session, "rp-logout", "client_secret_basic")
    return Browser(web, account, rp, answer.json()["sid"])


def authorized(browser: Browser) -> tuple[dict[str, str], str]:
    """Authorize (with consent): the authorization response's parameters, the PKCE verifier."""
    response, verifier = authorize(browser.web, browser.rp)
    if response.status_code == 200:
        response = consent(browser.web, response)
    assert response.status_code == 303, response.text
    return query(response.headers["location"]), verifier


def code_flow(browser: Browser) -> tuple[dict[str, str], dict[str, Any]]:
    """Authorize, exchange the code: the authorization response's parameters and the tokens."""
    params, verifier = authorized(browser)
    tokens = exchange(browser.web, browser.rp, params["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    return params, tokens.json()
