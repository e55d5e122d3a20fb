"""Registry JSON API: who may call each endpoint, what bad input answers, and that a refused
request changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.access import Actor, Role
from dancu.common.audit import AuditEntry
from dancu.common.outbox import OutboxEvent
from dancu.registry import cards, civil_status
from dancu.registry.models import Citizen, CivilEvent, Household, HouseholdMember, IdCard
from dancu.registry.schemas import CardApplicationIn, MarriageIn
from tests.conftest import TODAY, bearer, make_actor
from tests.registry.factories import household, person

COMMUNE = "24121"
OTHER_COMMUNE = "22015"
TABLES = (Citizen, Household, HouseholdMember, CivilEvent, IdCard, AuditEntry, OutboxEvent)
READ = {"X-Purpose": "verification"}


def counts(session: Session) -> dict[str, int]:
    session.flush()
    return {
        t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES
    }


def changes(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in before if after[k] != before[k]}


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    """A family, a couple, two singles and a card in progress, all in one commune."""
    w: dict[str, Any] = {
        "father": person(session, "Nguyễn Văn An", birth_date=date(1990, 5, 17)),
        "mother": person(session, "Trần Thị Bình", birth_date=date(1992, 8, 1), sex="F"),
        "groom": person(session, "Lê Văn Nam", birth_date=date(1995, 1, 2)),
        "bride": person(session, "Phạm Thị Hoa", birth_date=date(1997, 3, 4), sex="F"),
        "husband": person(session, "Đỗ Văn Chồng", birth_date=date(1980, 1, 1)),
        "wife": person(session, "Vũ Thị Vợ", birth_date=date(1982, 2, 2), sex="F"),
    }
    household(session, w["father"], (w["mother"], "spouse"))
    system = make_actor(Role.SYSTEM, units=())
    couple = MarriageIn(pid=w["husband"].pid, spouse_pid=w["wife"].pid, married_on=date(2005, 1, 1))
    civil_status.register_marriage(session, couple, actor=system, today=TODAY)
    application = CardApplicationIn(pid=w["mother"].pid, applied_on=date(2025, 3, 1))
    w["card"] = cards.apply_for_card(session, application, actor=system, today=TODAY)
    session.flush()
    return w


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: Callable[[dict[str, Any]], str]
    body: Callable[[dict[str, Any]], dict[str, Any]] | None
    allowed_role: Role
    wrong_role: Role
    status: int
    changed: dict[str, int]  # rows an allowed call adds
    headers: dict[str, str] | None = None
    not_found: str = "citizen.not_found"


EVENT = {"civil_event": 1, "audit_log": 1, "outbox_event": 1}
COUPLE = {"civil_event": 1, "audit_log": 2, "outbox_event": 1}
CARD = {"audit_log": 1, "outbox_event": 1}
ENDPOINTS = {
    "get_citizen": Endpoint(
        "GET",
        lambda w: f"/api/registry/citizens/{w['father'].pid}",
        None,
        Role.REGISTRY_CLERK,
        Role.STEERING_VIEWER,
        200,
        {"audit_log": 1},
        READ,
    ),
    "search": Endpoint(
        "GET",
        lambda w: "/api/registry/citizens?name=nguyen+van+an",
        None,
        Role.REGISTRY_CLERK,
        Role.STEERING_VIEWER,
        200,
        {"audit_log": 1},
        READ,
    ),
    "household": Endpoint(
        "GET",
        lambda w: f"/api/registry/citizens/{w['mother'].pid}/household",
        None,
        Role.REGISTRY_CLERK,
        Role.STEERING_VIEWER,
        200,
        {"audit_log": 2},
        READ,
    ),
    "audit": Endpoint(
        "GET",
        lambda w: f"/api/registry/citizens/{w['husband'].pid}/audit",
        None,
        Role.REGISTRY_CLERK,
        Role.PROCEDURE_OFFICER,
        200,
        {},
    ),
    "birth": Endpoint(
        "POST",
        lambda w: "/api/registry/events/birth",
        lambda w: {
            "full_name": "Nguyễn Văn Bảo",
            "birth_date": "2025-12-24",
            "sex": "M",
            "mother_pid": w["mother"].pid,
        },
        Role.REGISTRY_CLERK,
        Role.POLICE,
        201,
        {"citizen": 1, "household_member": 1} | EVENT,
    ),
    "death": Endpoint(
        "POST",
        lambda w: "/api/registry/events/death",
        lambda w: {"pid": w["father"].pid, "death_date": "2025-10-01"},
        Role.REGISTRY_CLERK,
        Role.POLICE,
        201,
        EVENT,
    ),
    "marriage": Endpoint(
        "POST",
        lambda w: "/api/registry/events/marriage",
        lambda w: {"pid": w["groom"].pid, "spouse_pid": w["bride"].pid, "married_on": "2025-06-01"},
        Role.REGISTRY_CLERK,
        Role.POLICE,
        201,
        COUPLE,
    ),
    "divorce": Endpoint(
        "POST",
        lambda w: "/api/registry/events/divorce",
        lambda w: {
            "pid": w["husband"].pid,
            "spouse_pid": w["wife"].pid,
            "divorced_on": "2025-06-01",
        },
        Role.REGISTRY_CLERK,
        Role.POLICE,
        201,
        COUPLE,
    ),
    "residence": Endpoint(
        "POST",
        lambda w: "/api/registry/events/residence",
        lambda w: {
            "pid": w["groom"].pid,
            "commune_code": OTHER_COMMUNE,
            "address_detail": "5 Hùng Vương",
            "moved_on": "2025-09-01",
        },
        Role.REGISTRY_CLERK,
        Role.POLICE,
        201,
        {"household": 1, "household_member": 1} | EVENT,
    ),
    "card_apply": Endpoint(
        "POST",
        lambda w: "/api/registry/cards",
        lambda w: {"pid": w["groom"].pid},
        Role.POLICE,
        Role.REGISTRY_CLERK,
        201,
        {"id_card": 1} | CARD,
    ),
    "card_step": Endpoint(
        "POST",
        lambda w: f"/api/registry/cards/{w['card'].id}/produce",
        lambda w: {},
        Role.POLICE,
        Role.REGISTRY_CLERK,
        200,
        CARD,
        not_found="card.not_found",
    ),
}


def _call(client, endpoint: Endpoint, world, actor: Actor | None):  # type: ignore[no-untyped-def]
    headers = dict(endpoint.headers or {}) | (bearer(actor) if actor else {})
    body = endpoint.body(world) if endpoint.body else None
    return client.request(endpoint.method, endpoint.url(world), json=body, headers=headers)


@pytest.mark.parametrize("who", ["anonymous", "wrong_role", "wrong_unit", "allowed"])
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_authorization(client, session, world, name, who):
    endpoint = ENDPOINTS[name]
    actor = {
        "anonymous": None,
        "wrong_role": make_actor(endpoint.wrong_role, units=(COMMUNE,)),
        "wrong_unit": make_actor(endpoint.allowed_role, units=(OTHER_COMMUNE,)),
        "allowed": make_actor(endpoint.allowed_role, units=(COMMUNE,)),
    }[who]
    before = counts(session)
    response = _call(client, endpoint, world, actor)
    body = response.json()
    if who == "allowed":
        assert response.status_code == endpoint.status, body
        assert changes(before, counts(session)) == endpoint.changed
        return
    expected = {
        "anonymous": (401, "auth.required"),
        "wrong_role": (403, "auth.permission"),
        "wrong_unit": (404, endpoint.not_found),
    }[who]
    if name == "search" and who == "wrong_unit":  # a search outside the area finds nobody
        assert (response.status_code, body["items"], body["total"]) == (200, [], 0)
    else:
        assert (response.status_code, body["code"]) == expected, body
    after = counts(session)
    if name == "get_citizen" and who == "wrong_unit":  # a refused look-up is audited
        assert changes(before, after) == {"audit_log": 1}
        return
    assert after == before


# --- Responses ------------------------------------------------------------------------------


def test_get_citizen_answers_the_record(client, world):
    clerk = make_actor(Role.REGISTRY_CLERK, units=(COMMUNE,))
    father = world["father"]
    response = client.get(
        f"/api/registry/citizens/{father.pid}?purpose=residence", headers=bearer(clerk)
    )
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("pid", "full_name", "birth_date", "sex", "relation_to_head")} == {
        "pid": father.pid,
        "full_name": "Nguyễn Văn An",
        "birth_date": "1990-05-17",
        "sex": "M",
        "relation_to_head": "head",
    }


def test_reads_need_a_purpose(client, session, world):
    clerk = make_actor(Role.REGISTRY_CLERK, units=(COMMUNE,))
    before = counts(session)
    missing = client.get(f"/api/registry/citizens/{world['father'].pid}", headers=bearer(clerk))
    unknown = client.get(
        f"/api/registry/citizens/{world['father'].pid}",
        headers=bearer(clerk) | {"X-Purpose": "gossip"},
    )
    assert [(r.status_code, r.json()["code"], r.json()["field"]) for r in (missing, unknown)] == [
        (422, "purpose.required", "purpose"),
        (422, "purpose.unknown", "purpose"),
    ]
    assert counts(session) == before


def test_card_step_works_without_a_body(client, world):
    police = make_actor(Role.POLICE, units=(COMMUNE,))
    response = client.post(
        f"/api/registry/cards/{world['card'].id}/produce", headers=bearer(police)
    )
    assert (response.status_code, response.json()["status"]) == (200, "produced")


# --- Bad input ------------------------------------------------------------------------------

CLERK = make_actor(Role.REGISTRY_CLERK, units=(COMMUNE,))
TOMORROW = (date.today() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("pid", "code"),
    [
        ("12345", "pid.length"),
        ("000123456789", "pid.province"),
        ("066890000001", "pid.century"),  # century digit 8: born in the 2300s
        ("0661900000AB", "pid.not_digits"),
    ],
)
def test_invalid_id_number_is_422(client, session, world, pid, code):
    before = counts(session)
    read = client.get(f"/api/registry/citizens/{pid}", headers=bearer(CLERK) | READ)
    death = client.post(
        "/api/registry/events/death",
        json={"pid": pid, "death_date": "2025-01-01"},
        headers=bearer(CLERK),
    )
    for response in (read, death):
        body = response.json()
        assert (response.status_code, body["code"], body["field"]) == (422, code, "pid")
    assert counts(session) == before


@pytest.mark.parametrize(
    ("path", "body", "code", "field"),
    [
        (
            "residence",
            {
                "pid": "groom",
                "commune_code": "99999",
                "address_detail": "x",
                "moved_on": "2025-01-01",
            },
            "commune.unknown",
            "commune_code",
        ),
        (
            "birth",
            {
                "full_name": "Nguyễn Văn Bé",
                "birth_date": TOMORROW,
                "sex": "M",
                "mother_pid": "mother",
            },
            "birth_date.future",
            "birth_date",
        ),
        (
            "death",
            {"pid": "father", "death_date": "1990-05-16"},
            "death_date.before_birth",
            "death_date",
        ),
        ("death", {"pid": "father", "death_date": TOMORROW}, "death_date.future", "death_date"),
        (
            "marriage",
            {"pid": "groom", "spouse_pid": "father", "married_on": "2025-01-01"},
            "marriage.same_sex",
            "spouse_pid",
        ),
        (
            "birth",
            {
                "full_name": "Nguyễn Văn Bé",
                "birth_date": "2025-01-01",
                "sex": "M",
                "mother_pid": "12345",
            },
            "pid.length",
            "mother_pid",
        ),
    ],
)
def test_rule_violations_are_422_with_code_and_field(
    client, session, world, path, body, code, field
):
    sent = {k: world[v].pid if v in world else v for k, v in body.items()}
    before = counts(session)
    response = client.post(f"/api/registry/events/{path}", json=sent, headers=bearer(CLERK))
    answer = response.json()
    assert (response.status_code, answer["code"], answer["field"]) == (422, code, field), answer
    assert counts(session) == before


def test_unknown_commune_in_search_is_422(client, world):
    response = client.get("/api/registry/citizens?commune_code=99999", headers=bearer(CLERK) | READ)
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        422,
        "commune.unknown",
        "commune_code",
    )


def test_death_registered_twice_is_409(client, session, world):
    body = {"pid": world["father"].pid, "death_date": "2025-10-01"}
    first = client.post("/api/registry/events/death", json=body, headers=bearer(CLERK))
    before = counts(session)
    second = client.post("/api/registry/events/death", json=body, headers=bearer(CLERK))
    assert (first.status_code, second.status_code, second.json()["code"]) == (
        201,
        409,
        "death.already_registered",
    )
    assert counts(session) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"death_date": "2025-10-01"}, "pid"),
        ({"pid": "FATHER", "death_date": "yesterday"}, "death_date"),
        ({"pid": "FATHER", "death_date": "2025-02-30"}, "death_date"),
        ({"pid": "FATHER", "death_date": "2025-10-01", "cause": "x" * 201}, "cause"),
        ({"pid": ["FATHER"], "death_date": "2025-10-01"}, "pid"),
    ],
)
def test_ill_typed_body_is_422_request_invalid_naming_the_field(
    client, session, world, body, field
):
    sent = {k: world["father"].pid if v == "FATHER" else v for k, v in body.items()}
    before = counts(session)
    response = client.post("/api/registry/events/death", json=sent, headers=bearer(CLERK))
    answer = response.json()
    assert (response.status_code, answer["code"], answer["field"]) == (
        422,
        "request.invalid",
        field,
    )
    assert counts(session) == before


def test_malformed_json_is_422_request_invalid(client, session, world):
    before = counts(session)
    response = client.post(
        "/api/registry/events/death",
        content=b'{"pid": "0661", "death_date": ',
        headers=bearer(CLERK) | {"Content-Type": "application/json"},
    )
    answer = response.json()
    assert (response.status_code, answer["code"], answer["errors"][0]["rule"]) == (
        422,
        "request.invalid",
        "json_invalid",
    )
    assert counts(session) == before


# --- Idempotency ----------------------------------------------------------------------------


def test_idempotency_key_on_death_records_once(client, session, world):
    body = {"pid": world["father"].pid, "death_date": "2025-10-01"}
    headers = bearer(CLERK) | {"Idempotency-Key": "death-2025-0001"}
    before = counts(session)
    first = client.post("/api/registry/events/death", json=body, headers=headers)
    second = client.post("/api/registry/events/death", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert changes(before, counts(session)) == EVENT
    events = session.execute(
        select(CivilEvent.kind, CivilEvent.idempotency_key).order_by(CivilEvent.id)
    ).all()
    assert [tuple(e) for e in events] == [("marriage", None), ("death", "death-2025-0001")]


def test_idempotency_key_reused_for_another_citizen_is_409(client, session, world):
    headers = bearer(CLERK) | {"Idempotency-Key": "k-42"}
    death = {"pid": world["father"].pid, "death_date": "2025-10-01"}
    assert client.post("/api/registry/events/death", json=death, headers=headers).status_code == 201
    before = counts(session)
    birth = {
        "full_name": "Nguyễn Văn Bé",
        "birth_date": "2025-01-01",
        "sex": "M",
        "mother_pid": world["mother"].pid,
    }
    response = client.post("/api/registry/events/birth", json=birth, headers=headers)
    assert (response.status_code, response.json()["code"]) == (409, "idempotency.key_reused")
    assert counts(session) == before


def test_idempotency_key_longer_than_80_is_refused(client, session, world):
    body = {"pid": world["father"].pid, "death_date": "2025-10-01"}
    headers = bearer(CLERK) | {"Idempotency-Key": "k" * 81}
    response = client.post("/api/registry/events/death", json=body, headers=headers)
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        422,
        "request.invalid",
        "Idempotency-Key",
    )
