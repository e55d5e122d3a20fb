"""The per-process cache of verified API bearer tokens (``bearer.CachedVerifier``): what it
saves, and the bound it puts on a revocation made elsewhere."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from dancu.app import create_app
from dancu.db import utcnow
from dancu.identity.oidc import bearer as api_tokens
from dancu.identity.oidc.models import OidcClient, OidcToken
from dancu.registry.models import Citizen
from dancu.settings import Settings
from tests.identity import helpers
from tests.identity.test_api_tokens import (
    audit_rows,
    client_token,
    lookup,
    partner_client,
    refused,
)

TTL = 2.0


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def web(app, clock: Clock) -> TestClient:  # type: ignore[no-untyped-def]
    app.state.bearer_verifier = api_tokens.CachedVerifier(TTL, clock=clock)
    return TestClient(app)


@pytest.fixture
def subject(session: Session) -> Citizen:
    return helpers.citizen(session, "Lê Thị Cúc", sex="F")


def _revoke_in_database(session: Session) -> None:
    """A revocation this process does not see: another server's, or an operator's SQL."""
    session.execute(update(OidcToken).values(revoked_at=utcnow()))
    session.flush()


def test_a_token_revoked_elsewhere_is_refused_once_the_bound_has_passed(
    web, session, subject, clock
):
    token = client_token(web, partner_client(session))["access_token"]
    assert lookup(web, subject.pid, token).status_code == 200
    _revoke_in_database(session)
    clock.advance(TTL - 0.5)
    assert lookup(web, subject.pid, token).status_code == 200  # the price: within the bound
    clock.advance(0.6)
    refused(lookup(web, subject.pid, token), 401, "auth.invalid_token")


def test_a_client_deactivated_elsewhere_is_refused_once_the_bound_has_passed(
    web, session, subject, clock
):
    token = client_token(web, partner_client(session))["access_token"]
    assert lookup(web, subject.pid, token).status_code == 200
    session.execute(update(OidcClient).values(active=False))
    session.flush()
    clock.advance(TTL + 0.1)
    refused(lookup(web, subject.pid, token), 401, "auth.invalid_token")


def test_a_revocation_at_this_process_s_endpoint_is_refused_at_once(web, session, subject):
    rp = partner_client(session)
    token = client_token(web, rp)["access_token"]
    assert lookup(web, subject.pid, token).status_code == 200
    revoked = web.post("/oidc/revoke", data={"token": token}, auth=(rp.client_id, rp.secret))
    assert revoked.status_code == 200
    refused(lookup(web, subject.pid, token), 401, "auth.invalid_token")


def test_a_cached_grant_never_outlives_its_token(web, session, subject, clock):
    token = client_token(web, partner_client(session))["access_token"]
    session.execute(update(OidcToken).values(expires_at=clock.now + timedelta(seconds=0.5)))
    session.flush()
    assert lookup(web, subject.pid, token).status_code == 200
    clock.advance(0.6)  # still inside the cache's bound, past the token's expiry
    refused(lookup(web, subject.pid, token), 401, "auth.invalid_token")


def test_a_cached_grant_reads_no_token_but_still_checks_purpose_and_audits(
    web, session, subject, engine
):
    token = client_token(web, partner_client(session))["access_token"]
    assert lookup(web, subject.pid, token).status_code == 200
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        before = audit_rows(session)
        assert lookup(web, subject.pid, token).status_code == 200
        assert audit_rows(session) == before + 1  # the read is audited as before
        refused(
            lookup(web, subject.pid, token, **{"X-Purpose": "inspection"}),
            403,
            "auth.purpose_not_allowed",
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert not [s for s in statements if "oidc_token" in s]  # no token look-up on a hit


def test_refusals_are_not_cached(web, session, subject):
    rp = partner_client(session)
    token = client_token(web, rp)["access_token"]
    session.execute(update(OidcClient).values(active=False))
    session.flush()
    refused(lookup(web, subject.pid, token), 401, "auth.invalid_token")
    session.execute(update(OidcClient).values(active=True))
    session.flush()
    assert lookup(web, subject.pid, token).status_code == 200


def test_the_setting_chooses_the_verifier():
    cached = create_app(Settings(api_token_cache_seconds=1.5)).state.bearer_verifier
    assert isinstance(cached, api_tokens.CachedVerifier) and cached.ttl.total_seconds() == 1.5
    assert create_app(Settings(api_token_cache_seconds=0)).state.bearer_verifier is (
        api_tokens.verify
    )
