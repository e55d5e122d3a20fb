"""The look-up by ID number runs in autocommit on PostgreSQL: its read and its audit entry
are one statement, so the ``BEGIN`` and ``COMMIT`` round trips of a transaction buy nothing.

These tests use a database of their own, committed to for real, and an app without the
suite's rolled-back sessions: what they check is the unit of work the server really opens.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import ECKey
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dancu import db
from dancu.app import create_app
from dancu.common.audit import AuditEntry
from dancu.db.engine import autocommit_sessionmaker
from dancu.identity.oidc import partners
from tests.conftest import BACKENDS, _clear_caches, _create_database, _drop_database, _migrate
from tests.identity import helpers
from tests.identity.oidc_helpers import ISSUER, add_test_login_routes, dpop_proof, register

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="autocommit is PostgreSQL's; SQLite is in-process"
)

READ = {"X-Purpose": "verification"}


@pytest.fixture
def own_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"dancu_autocommit_{uuid.uuid4().hex[:8]}"
    url = _create_database(name)
    try:
        _migrate(url)
        monkeypatch.setenv("DANCU_DATABASE_URL", url)
        _clear_caches()
        yield url
    finally:
        _clear_caches()
        _drop_database(name)


@pytest.fixture
def web(own_database: str) -> TestClient:
    app = create_app()
    add_test_login_routes(app)
    return TestClient(app)


@pytest.fixture
def partner(own_database: str) -> dict[str, Any]:
    """A committed citizen and a hospital's client, bound as a partner of the province."""
    with db.get_sessionmaker()() as session, session.begin():
        citizen = helpers.citizen(session, "Lê Thị Cúc", sex="F")
        rp = register(
            session,
            "hospital",
            "client_secret_basic",
            redirect_uris=[],
            grant_types=["client_credentials"],
            scopes=["registry.read"],
        )
        partners.bind_partner(
            session,
            "hospital",
            roles=("procedure_officer",),
            units=("66",),
            organization="Bệnh viện Đa khoa Tỉnh",
            purposes=("verification",),
        )
        return {"pid": citizen.pid, "rp": rp}


def _token(web: TestClient, rp: Any, **headers: str) -> str:
    response = web.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": "registry.read"},
        auth=(rp.client_id, rp.secret),
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _watch(engine: Engine) -> list[tuple[str, bool]]:
    """(statement, ran inside a transaction) for each statement ``engine`` runs."""
    seen: list[tuple[str, bool]] = []

    def after(conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        status = conn.connection.dbapi_connection.info.transaction_status
        seen.append((statement, status != psycopg.pq.TransactionStatus.IDLE))

    event.listen(engine, "after_cursor_execute", after)
    return seen


def _entries(pid: str) -> list[str]:
    with db.get_sessionmaker()() as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.subject_id == pid)
                .order_by(AuditEntry.id)
            )
        )


def test_a_look_up_is_one_statement_outside_any_transaction(web, partner):
    token = _token(web, partner["rp"])
    web.get(
        f"/api/registry/citizens/{partner['pid']}",
        headers={**READ, "Authorization": f"Bearer {token}"},
    )
    seen = _watch(db.get_engine())
    response = web.get(
        f"/api/registry/citizens/{partner['pid']}",
        headers={**READ, "Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["pid"] == partner["pid"]
    reads = [s for s in seen if "INSERT INTO audit_log" in s[0]]
    assert len(reads) == 1, seen
    # autocommit: the statement committed itself (a transaction would still be open here)
    assert [in_transaction for _, in_transaction in seen] == [False] * len(seen), seen
    assert _entries(partner["pid"]) == ["citizen.read", "citizen.read"]


def test_a_refused_look_up_is_audited_and_reads_nothing(web, partner):
    token = _token(web, partner["rp"])
    unknown = "066190000099"
    response = web.get(
        f"/api/registry/citizens/{unknown}", headers={**READ, "Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "citizen.not_found"
    assert _entries(unknown) == ["citizen.read_refused"]
    assert _entries(partner["pid"]) == []


def test_a_dpop_look_up_keeps_its_transaction_for_the_proof(web, partner):
    """A DPoP proof is recorded under a savepoint, which autocommit cannot open: the route
    must keep the transaction for such a request (it answered 500 when it did not)."""
    key = ECKey.generate_key("P-256", private=True)
    token = _token(web, partner["rp"], DPoP=dpop_proof(key, "POST", f"{ISSUER}/oidc/token"))
    url = f"{ISSUER}/api/registry/citizens/{partner['pid']}"
    seen = _watch(db.get_engine())
    response = web.get(
        f"/api/registry/citizens/{partner['pid']}",
        headers={
            **READ,
            "Authorization": f"DPoP {token}",
            "DPoP": dpop_proof(key, "GET", url, access_token=token),
        },
    )
    assert response.status_code == 200, response.text
    assert any(in_transaction for _, in_transaction in seen), seen
    assert _entries(partner["pid"]) == ["citizen.read"]


def test_autocommit_sessions_are_plain_sessions_on_sqlite(tmp_path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with autocommit_sessionmaker(engine)() as session:
            assert isinstance(session, Session)
            assert "isolation_level" not in session.get_bind().get_execution_options()
    finally:
        engine.dispose()
