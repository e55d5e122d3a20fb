"""An officer's tokens live only as long as the e-ID login session that issued them.

The code flow hands an officer's app an access and a refresh token under one login session
(``login_session``). Once that session ends (revoked, idle too long, or signed in too long
ago), the access token is refused by the APIs and the refresh token refreshes nothing;
a partner's client-credentials token, which has no session, is not affected.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import event, text, update
from sqlalchemy.orm import Session

from dancu.cli import alembic_config
from dancu.common.access import SYSTEM_ACTOR, Role
from dancu.db import make_engine, utcnow
from dancu.identity.accounts import officers
from dancu.identity.auth.models import LoginSession
from dancu.identity.auth.session import public_sid, revoke_sessions
from dancu.registry.models import Citizen
from dancu.settings import get_settings
from tests.conftest import COMMUNE
from tests.identity import helpers
from tests.identity.oidc_helpers import (
    RP,
    authorize,
    consent,
    exchange,
    query,
    register,
)
from tests.identity.test_api_tokens import client_token, lookup, partner_client, refused


@pytest.fixture
def subject(session: Session) -> Citizen:
    return helpers.citizen(session, "Lê Thị Cúc", sex="F")


def _officer_tokens(web: TestClient, session: Session) -> tuple[RP, str, dict[str, Any]]:
    """A registry clerk signed in (one login session) and their app's token pair."""
    officer = helpers.active_account(session, helpers.citizen(session, "Phan Văn Cán"))
    officers.grant_role(session, officer, Role.REGISTRY_CLERK, COMMUNE, actor=SYSTEM_ACTOR)
    rp = register(session, "officer-app", "client_secret_basic", scopes=["openid", "registry.read"])
    signed_in = web.post(f"/_test/login/{officer.id}")
    assert signed_in.status_code == 200
    response, verifier = authorize(web, rp, scope="openid registry.read")
    if response.status_code == 200:
        response = consent(web, response)
    tokens = exchange(web, rp, query(response.headers["location"])["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    assert "refresh_token" in tokens.json()
    return rp, signed_in.json()["sid"], tokens.json()


def _refresh(web: TestClient, rp: RP, refresh_token: str) -> Any:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return web.post("/oidc/token", data=form, auth=(rp.client_id, rp.secret))


def _revoked(session: Session, sid: str) -> None:
    revoke_sessions(session, session_id=sid, reason="holder")  # My account's "sign out there"


def _idle(session: Session, sid: str) -> None:
    idle = timedelta(seconds=get_settings().identity_session_idle_seconds + 1)
    _set(session, sid, last_seen_at=utcnow() - idle)


def _too_old(session: Session, sid: str) -> None:
    age = timedelta(seconds=get_settings().identity_session_absolute_seconds + 1)
    _set(session, sid, created_at=utcnow() - age)  # still seen a moment ago


def _set(session: Session, sid: str, **values: Any) -> None:
    session.execute(update(LoginSession).where(LoginSession.id == sid).values(**values))
    session.flush()


ENDINGS = pytest.mark.parametrize("end", [_revoked, _idle, _too_old], ids=lambda f: f.__name__)


@ENDINGS
def test_an_officer_s_access_token_dies_with_its_login_session(web, session, subject, end):
    _, sid, tokens = _officer_tokens(web, session)
    assert lookup(web, subject.pid, tokens["access_token"]).status_code == 200
    end(session, sid)
    refused(lookup(web, subject.pid, tokens["access_token"]), 401, "auth.invalid_token")


@ENDINGS
def test_an_officer_s_refresh_token_dies_with_its_login_session(web, session, subject, end):
    rp, sid, tokens = _officer_tokens(web, session)
    end(session, sid)
    response = _refresh(web, rp, tokens["refresh_token"])
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"


def test_a_refresh_keeps_a_live_login_session_from_going_idle(web, session, subject):
    rp, sid, tokens = _officer_tokens(web, session)
    almost = timedelta(seconds=get_settings().identity_session_idle_seconds - 5)
    _set(session, sid, last_seen_at=utcnow() - almost)
    response = _refresh(web, rp, tokens["refresh_token"])
    assert response.status_code == 200, response.text
    seen = session.get(LoginSession, sid, populate_existing=True)
    assert seen is not None and utcnow() - seen.last_seen_at < timedelta(seconds=60)
    assert lookup(web, subject.pid, response.json()["access_token"]).status_code == 200


def test_a_refresh_touches_its_login_session_once_in_the_claim_on_postgresql(
    web, session, subject, backend
):
    """PostgreSQL: the refresh claim and the session's ``last_seen_at`` in one statement (a
    data-modifying CTE); SQLite runs the two statements."""
    rp, _sid, tokens = _officer_tokens(web, session)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        assert _refresh(web, rp, tokens["refresh_token"]).status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    touches = [s for s in statements if "UPDATE login_session" in s]
    claims = [s for s in statements if "UPDATE oidc_token" in s]
    assert len(touches) == len(claims) == 1
    assert (touches == claims) is (backend == "postgresql")


def test_a_partner_token_has_no_login_session_and_keeps_working(web, session, subject):
    rp = partner_client(session)
    token = client_token(web, rp)["access_token"]
    _rp, sid, _tokens = _officer_tokens(web, session)
    _revoked(session, sid)
    assert lookup(web, subject.pid, token).status_code == 200


@pytest.mark.xdist_group("migrations")
def test_migration_0011_gives_existing_sessions_their_public_sid(blank_url):
    config = alembic_config(blank_url)
    command.upgrade(config, "0010")
    engine = make_engine(blank_url)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (citizen_pid, kind, display_name, level, status,"
                " province_code, commune_code, created_at)"
                " VALUES ('066090012345', 'citizen', 'Old session', 1, 'active', '66', '24121',"
                " :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO login_session (id, account_id, created_at, auth_time, last_seen_at,"
                " amr, ip, user_agent) SELECT 'an-old-session', id, :now, :now, :now, '[]', '',"
                " '' FROM account"
            ),
            {"now": now},
        )
    command.upgrade(config, "0011")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT public_sid FROM login_session")).scalar_one()
    assert stored == public_sid("an-old-session")
    command.downgrade(config, "0010")
    engine.dispose()


def test_userinfo_refuses_a_token_whose_login_session_ended(web, session, subject):
    _, sid, tokens = _officer_tokens(web, session)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert web.get("/oidc/userinfo", headers=auth).status_code == 200
    _revoked(session, sid)
    response = web.get("/oidc/userinfo", headers=auth)
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
