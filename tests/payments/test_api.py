"""The payments JSON API: programmes, the area's beneficiaries, cycles and their totals for
officers (``payments.read``), and a citizen's own payments for their e-ID token."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from dancu.payments import cycles, programmes
from tests.conftest import PROVINCE, bearer, make_actor
from tests.identity import helpers as identity
from tests.identity.oidc_helpers import (
    add_test_login_routes,
    authorize,
    consent,
    exchange,
    query,
    register,
)
from tests.payments import helpers as h

OTHER_COMMUNE = "22015"  # another commune of the province


@pytest.fixture
def web(app) -> TestClient:  # type: ignore[no-untyped-def]
    add_test_login_routes(app)
    return TestClient(app)


@pytest.fixture
def world(programmed: Session) -> dict[str, Any]:
    a, b = h.elder(programmed), h.elder(programmed, "Lê Văn Cường", commune_code=OTHER_COMMUNE)
    h.enrol(programmed, a)
    h.enrol(programmed, b, bank=False)
    cycle = cycles.prepare_cycle(programmed, programmes.SOCIAL, PROVINCE, h.JAN, actor=h.PREPARER)
    programmed.commit()
    return {"a": a, "b": b, "cycle": cycle.id}


def _audited(session: Session, action: str) -> int:
    return session.scalar(select(func.count()).where(AuditEntry.action == action)) or 0


def test_programmes_list_their_dated_levels(web: TestClient, programmed: Session) -> None:
    answer = web.get("/api/payments/programmes", headers=bearer(h.officer()))
    assert answer.status_code == 200, answer.text
    social = next(p for p in answer.json() if p["code"] == programmes.SOCIAL)
    assert [(v["effective_from"], v["amount"]) for v in social["levels"]][-2:] == [
        ("2021-07-01", 360_000),
        ("2024-07-01", 500_000),
    ]
    assert {"code": "disabled_severe", "coefficient": 1500}.items() <= next(
        c for c in social["categories"] if c["code"] == "disabled_severe"
    ).items()


def test_beneficiaries_are_those_of_the_officer_s_area(
    web: TestClient, session: Session, world: dict[str, Any]
) -> None:
    mine = web.get("/api/payments/beneficiaries", headers=bearer(h.officer()))
    assert mine.status_code == 200, mine.text
    assert [b["pid"] for b in mine.json()["items"]] == [world["a"].pid]
    province = web.get(
        "/api/payments/beneficiaries?status=active&per_page=1&page=2", headers=bearer(h.CHECKER)
    ).json()
    assert (province["total"], province["page"], len(province["items"])) == (2, 2, 1)
    assert _audited(session, "beneficiary.listed") == 2  # each citizen listed once


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "auth.required"),
        (bearer(make_actor(Role.REGISTRY_CLERK)), 403, "auth.permission"),
    ],
    ids=["anonymous", "wrong_role"],
)
def test_refusals_read_nothing(
    web: TestClient,
    session: Session,
    world: dict[str, Any],
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    before = _audited(session, "beneficiary.listed")
    for path in ("beneficiaries", "cycles", f"cycles/{world['cycle']}", "programmes"):
        answer = web.get(f"/api/payments/{path}", headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (status, code), path
    assert _audited(session, "beneficiary.listed") == before


def test_cycles_with_their_totals(web: TestClient, session: Session, world: dict) -> None:
    listed = web.get("/api/payments/cycles", headers=bearer(h.CHECKER)).json()
    assert [(c["id"], c["count"], c["amount"], c["bank"], c["excluded"]) for c in listed] == [
        (world["cycle"], 2, 1_000_000, 1, 0)
    ]
    assert "exclusions" not in listed[0]
    one = web.get(f"/api/payments/cycles/{world['cycle']}", headers=bearer(h.CHECKER))
    assert (one.status_code, one.json()["amount"]) == (200, 1_000_000)
    commune = web.get("/api/payments/cycles", headers=bearer(h.officer())).json()
    assert commune == []  # a province's cycle: not a commune officer's
    elsewhere = make_actor(Role.SOCIAL_APPROVER, units=("01",))
    far = web.get(f"/api/payments/cycles/{world['cycle']}", headers=bearer(elsewhere))
    assert (far.status_code, far.json()["code"]) == (404, "payments.cycle_not_found")


def _citizen_token(web: TestClient, session: Session, account_id: int, scope: str) -> str:
    app_rp = register(session, "citizen-app", "client_secret_basic", scopes=scope.split())
    session.commit()
    assert web.post(f"/_test/login/{account_id}").status_code == 200
    response, verifier = authorize(web, app_rp, scope=scope)
    if response.status_code == 200:
        response = consent(web, response)
    code = query(response.headers["location"])["code"]
    tokens = exchange(web, app_rp, code, verifier)
    assert tokens.status_code == 200, tokens.text
    return tokens.json()["access_token"]


def test_a_citizen_reads_their_own_payments_with_their_token(
    web: TestClient, session: Session, world: dict[str, Any]
) -> None:
    account = identity.active_account(session, world["a"])
    token = _citizen_token(web, session, account.id, "openid")
    answer = web.get("/api/payments/mine", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert [(p["month"], p["amount"], p["channel"]) for p in answer.json()] == [
        ("2026-01-01", 500_000, "bank")
    ]
    assert answer.json()[0]["account_masked"].startswith("•••• ")


@pytest.mark.parametrize(
    ("authorization", "status", "code"),
    [
        (None, 401, "auth.required"),
        ("Bearer not-a-token", 401, "auth.invalid_token"),
    ],
)
def test_mine_needs_a_citizen_token(
    web: TestClient, authorization: str | None, status: int, code: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = web.get("/api/payments/mine", headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_the_openapi_document_declares_the_payments_api(web: TestClient) -> None:
    paths = web.get("/openapi.json").json()["paths"]
    listed = paths["/api/payments/beneficiaries"]["get"]
    assert {"bearer": ["payments.read"]} in listed["security"]
    assert {"401", "403", "404", "422"} <= set(listed["responses"])
    mine = paths["/api/payments/mine"]["get"]
    assert {"bearer": ["openid"]} in mine["security"]
    assert mine["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    per_page = next(p for p in listed["parameters"] if p["name"] == "per_page")
    assert (per_page["schema"]["minimum"], per_page["schema"]["maximum"]) == (1, 100)
