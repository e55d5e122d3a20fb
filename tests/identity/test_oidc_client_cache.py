"""The token endpoint's client cache (identity/oidc/clients.py ``ClientCache``): a grant may
authenticate on a cached client row, but a changed, deactivated or recreated client takes
effect at the next grant. Each test here passes a cache that checks ``oidc_client.version``
in the token INSERT and fails a naive one (a copy by client id, or a version that counts)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, update

from dancu.identity.oidc import clients as oidc_clients
from dancu.identity.oidc.models import OidcClient, OidcToken
from tests.identity.oidc_helpers import RP, register


@pytest.fixture(autouse=True)
def empty_cache():  # type: ignore[no-untyped-def]
    oidc_clients.CLIENT_CACHE.clear()
    yield
    oidc_clients.CLIENT_CACHE.clear()


@pytest.fixture
def web(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app)


@pytest.fixture
def partner(session) -> RP:  # type: ignore[no-untyped-def]
    return register(
        session,
        "partner-cache",
        "client_secret_basic",
        grant_types=["client_credentials"],
        scopes=["registry.read"],
        redirect_uris=[],
    )


def grant(web: TestClient, client_id: str, secret: str | None) -> int:
    return web.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": "registry.read"},
        auth=(client_id, secret or ""),
    ).status_code


def tokens(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(OidcToken)) or 0


def test_a_cached_client_is_not_read_again(web, session, partner):
    assert grant(web, partner.client_id, partner.secret) == 200  # read and cached
    reads: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "FROM oidc_client" in statement:
            reads.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        assert grant(web, partner.client_id, partner.secret) == 200
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    # the only statement naming the client is the token INSERT's freshness check
    assert len(reads) == 1 and reads[0].lstrip().startswith("INSERT INTO oidc_token")


def test_a_client_deactivated_after_it_was_cached_gets_no_token(web, session, partner):
    assert grant(web, partner.client_id, partner.secret) == 200
    before = tokens(session)
    session.execute(
        update(OidcClient).where(OidcClient.client_id == partner.client_id).values(active=False)
    )
    session.flush()
    assert grant(web, partner.client_id, partner.secret) == 401
    assert tokens(session) == before


def test_a_changed_secret_takes_effect_at_the_next_grant(web, session, partner):
    assert grant(web, partner.client_id, partner.secret) == 200  # cached with the old digest
    new_secret = "a-new-secret-of-enough-length-0123456789"
    session.execute(
        update(OidcClient)
        .where(OidcClient.client_id == partner.client_id)
        .values(secret_hash=oidc_clients.secret_digest(new_secret))
    )
    session.flush()
    assert grant(web, partner.client_id, partner.secret) == 401  # the old one: refused
    assert grant(web, partner.client_id, new_secret) == 200  # the new one: at once


def test_a_client_recreated_after_a_rollback_is_not_the_cached_one(web, session):
    savepoint = session.begin_nested()
    ghost = register(
        session,
        "partner-again",
        "client_secret_basic",
        grant_types=["client_credentials"],
        scopes=["registry.read"],
        redirect_uris=[],
    )
    assert grant(web, ghost.client_id, ghost.secret) == 200  # cached from a row...
    savepoint.rollback()  # ...that never existed
    real = register(
        session,
        "partner-again",
        "client_secret_basic",
        grant_types=["client_credentials"],
        scopes=["registry.read"],
        redirect_uris=[],
    )
    assert grant(web, ghost.client_id, ghost.secret) == 401
    assert grant(web, real.client_id, real.secret) == 200


def test_every_write_of_a_client_gives_it_a_new_version(session, partner):
    def version() -> str:
        return session.scalar(
            select(OidcClient.version).where(OidcClient.client_id == partner.client_id)
        )

    first = version()
    assert first != "0"  # set by the trigger, never the column's default
    oidc_clients.set_redirect_uris(session, partner.client_id, ["https://rp.example/cb"])
    session.flush()
    second = version()
    session.execute(
        update(OidcClient).where(OidcClient.client_id == partner.client_id).values(name="x")
    )
    assert len({first, second, version()}) == 3


def test_a_refusal_on_a_cached_client_is_decided_again_on_the_fresh_row(web, session, partner):
    """A grant type added after the client was cached is usable at once: the refusal the
    cached row gives is not the answer sent."""
    assert grant(web, partner.client_id, partner.secret) == 200
    session.execute(
        update(OidcClient)
        .where(OidcClient.client_id == partner.client_id)
        .values(scopes=["registry.read", "linkage.read"])
    )
    session.flush()
    answer = web.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": "linkage.read"},
        auth=(partner.client_id, partner.secret or ""),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "linkage.read"
