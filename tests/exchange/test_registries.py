"""The GovStack Digital Registries door: read, exists, list, create/update where allowed, and
"my personal data usage", each answer validated against the published OpenAPI document
(camelCase) or the Gherkin suite's schemas (the older spellings)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from dancu.exchange.hygiene.models import PartnerAccess
from tests.conftest import bearer, make_actor
from tests.exchange.conftest import make_partner, token
from tests.exchange.registries_spec import check_request, check_response, check_suite
from tests.identity import helpers

BASE = "/api/govstack/data/population/1.0"
MEDIATOR = {"Information-Mediator-Client": "VN/COM/hospital-a/his"}


@pytest.fixture
def citizen(session: Session):
    return helpers.citizen(session, "Lê Thị Cúc", birth_date=date(1992, 3, 4), sex="F")


def partner_token(
    client: TestClient, session: Session, code: str = "bhxh", kind: str = "agency"
) -> dict[str, str]:
    """A registered exchange partner's token (an agency: purpose ``social_insurance``,
    fields pid, full_name, birth_date, sex, alive)."""
    partner = make_partner(session, code, kind, facility="66001" if kind == "hospital" else None)
    PARTNERS[code] = partner.client_id
    return {"Authorization": f"Bearer {token(client, partner)}", **MEDIATOR}


PARTNERS: dict[str, str] = {}


def call(
    client: TestClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any = None,
    params: dict[str, Any] | None = None,
) -> Any:
    if body is not None:
        check_request(method, path, body)
    return client.request(method, path, json=body, headers=headers, params=params)


def spec_ok(response: Any, method: str, path: str) -> Any:
    check_response(method, path, response.status_code, response.json())
    return response.json()


# --- read -------------------------------------------------------------------------------


def test_read_answers_the_record_in_the_published_shape(client, session, citizen):
    headers = partner_token(client, session)
    body = {"query": {"content": {"id": citizen.pid}}}
    response = call(client, "POST", f"{BASE}/read", headers, body)
    assert response.status_code == 200, response.text
    assert spec_ok(response, "POST", f"{BASE}/read") == {
        "content": {
            "id": citizen.pid,
            "firstName": "Thị Cúc",
            "lastName": "Lê",
            "birthDate": "1992-03-04",
            "sex": "F",
        }
    }
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_id == citizen.pid, AuditEntry.action == "registries.read"
        )
    ).one()
    assert (entry.actor_id, entry.purpose) == (f"client:{PARTNERS['bhxh']}", "social_insurance")
    assert entry.fields == ["birth_date", "full_name", "pid", "sex"]
    # one entry in the citizen's access list for the read: no registry read beside it
    reads = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.subject_id == citizen.pid, AuditEntry.purpose == "social_insurance"
        )
    ).all()
    assert reads == ["registries.read"]


def test_read_in_the_suite_spelling_answers_in_it(client, session, citizen):
    headers = partner_token(client, session)
    response = call(
        client, "POST", f"{BASE}/read", headers, {"query": {"content": {"ID": citizen.pid}}}
    )
    assert response.status_code == 200, response.text
    check_suite("read", response.json())
    assert response.json()["content"]["FirstName"] == "Thị Cúc"


def test_read_of_nobody_is_the_spec_404(client, session):
    headers = partner_token(client, session)
    path = f"{BASE}/read"
    response = call(client, "POST", path, headers, {"query": {"content": {"id": "066192000001"}}})
    assert response.status_code == 404
    assert spec_ok(response, "POST", path) == {"detail": "no record found"}
    check_suite("read404", response.json())
    refusal = session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_id == "066192000001")
    ).all()
    assert refusal == ["citizen.read_refused"]  # the miss is audited too


def test_a_hospital_receives_only_its_purposes_fields(client, session, citizen):
    headers = partner_token(client, session, "bv-tinh", "hospital")
    response = call(client, "GET", BASE, headers, params={"search": "Lê Thị Cúc"})
    assert response.status_code == 200, response.text
    results = spec_ok(response, "GET", BASE)["results"]
    assert results == [
        {"firstName": "Thị Cúc", "lastName": "Lê", "birthDate": "1992-03-04", "sex": "F"}
    ]  # no ID number: check-in's purpose does not release it


def test_a_caller_that_is_no_partner_is_refused_at_the_door(client, session, citizen):
    officer = {**bearer(make_actor(Role.REGISTRY_CLERK)), **MEDIATOR}
    body = {"query": {"content": {"id": citizen.pid}}}
    response = client.post(f"{BASE}/read", json=body, headers=officer)
    assert response.status_code == 403
    assert response.json()["code"] == "exchange.credential_not_found"


# --- exists ------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["camel", "legacy"])
def test_exists_by_id_and_by_names(client, session, citizen, spelling):
    headers = partner_token(client, session)
    path = f"{BASE}/exists"
    key, first, last = (
        ("id", "firstName", "lastName") if spelling == "camel" else ("ID", "FirstName", "LastName")
    )
    for content, expected in [
        ({key: citizen.pid}, True),
        ({key: "066192000001"}, False),
        ({first: "Thị Cúc", last: "Lê"}, True),
        ({first: "Không", last: "Có"}, False),
    ]:
        response = call(client, "POST", path, headers, {"query": {"content": content}})
        assert response.status_code == 200, response.text
        spec_ok(response, "POST", path)
        check_suite("exists", response.json())
        assert response.json()["answer"]["status"] is expected, content


# --- list --------------------------------------------------------------------------------


def test_list_pages_through_matches(client, session, citizen):
    for _ in range(3):  # namesakes born the same day
        helpers.citizen(session, "Lê Thị Cúc", birth_date=date(1992, 3, 4))
    headers = partner_token(client, session)
    response = call(
        client, "GET", BASE, headers, params={"search": "Lê Thị Cúc", "page": 1, "pageSize": 2}
    )
    assert response.status_code == 200, response.text
    body = spec_ok(response, "GET", BASE)
    assert body["count"] == 4 and len(body["results"]) == 2 and "page=2" in body["next"]
    last = call(
        client, "GET", BASE, headers, params={"search": "Lê Thị Cúc", "page": 2, "pageSize": 2}
    )
    body = spec_ok(last, "GET", BASE)
    assert "next" not in body and "page=1" in body["previous"]


def test_list_by_query_fields_in_the_suite_spelling(client, session, citizen):
    headers = partner_token(client, session)
    response = call(
        client,
        "GET",
        BASE,
        headers,
        params={
            "query.LastName": "Lê",
            "query.FirstName": "Thị Cúc",
            "query.BirthDate": "1992-03-04",
        },
    )
    assert response.status_code == 200, response.text
    check_suite("list", response.json())
    assert [r["ID"] for r in response.json()["results"]] == [citizen.pid]


def test_list_with_an_unknown_field_is_refused(client, session):
    headers = partner_token(client, session)
    response = call(client, "GET", BASE, headers, params={"query.salary": "1"})
    assert response.status_code == 422 and response.json()["code"] == "registries.bad_query"


# --- create / update ---------------------------------------------------------------------


def test_a_partner_cannot_create_or_update_population_records(client, session, citizen):
    headers = partner_token(client, session)
    write = {"write": {"content": {"id": "066192000009", "firstName": "Văn B", "lastName": "Trần"}}}
    created = call(client, "POST", f"{BASE}/create", headers, write)
    assert created.status_code == 403  # a partner's credential never carries the write scope
    officer = {**bearer(make_actor(Role.REGISTRY_CLERK)), **MEDIATOR}
    created = call(client, "POST", f"{BASE}/create", officer, write)
    assert created.status_code == 403 and created.json()["code"] == "auth.permission"
    update = {"query": {"content": {"id": citizen.pid}}, "write": {"content": {"firstName": "X"}}}
    for method, path in [
        ("PUT", f"{BASE}/update"),
        ("PUT", f"{BASE}/updateEntries"),
        ("PUT", f"{BASE}/update-entries"),
        ("POST", f"{BASE}/updateOrCreate"),
        ("POST", f"{BASE}/update-or-create"),
    ]:
        response = client.request(method, path, json=update, headers=officer)
        assert response.status_code == 403, path
        assert response.json()["code"] == "registries.not_allowed"
    session.refresh(citizen)
    assert citizen.full_name == "Lê Thị Cúc"


def test_a_client_with_the_import_right_creates_a_record(client, session):
    system = {**bearer(make_actor(Role.SYSTEM, units=())), **MEDIATOR}
    pid = "066092000123"
    write = {
        "write": {
            "content": {
                "id": pid,
                "firstName": "Văn Bình",
                "lastName": "Trần",
                "birthDate": "1992-01-01",
                "sex": "M",
                "communeCode": "24121",
            }
        }
    }
    response = call(client, "POST", f"{BASE}/create", system, write)
    assert response.status_code == 200, response.text
    assert spec_ok(response, "POST", f"{BASE}/create")["content"]["id"] == pid


# --- read value ----------------------------------------------------------------------------


def test_read_value_in_both_spellings(client, session, citizen):
    headers = partner_token(client, session)
    camel = client.get(f"{BASE}/{citizen.pid}/readValue/lastName.json", headers=headers)
    assert camel.status_code == 200 and camel.json() == "Lê"
    spec_ok(camel, "GET", f"{BASE}/{citizen.pid}/readValue/lastName.json")
    legacy = client.get(f"{BASE}/{citizen.pid}/read-value/FirstName.json", headers=headers)
    assert legacy.status_code == 200
    check_suite("readValue", legacy.json())


# --- my personal data usage ---------------------------------------------------------------


def test_my_personal_data_usage_lists_who_read_the_data(client, session, citizen):
    partner = partner_token(client, session)
    assert (
        call(
            client, "POST", f"{BASE}/read", partner, {"query": {"content": {"id": citizen.pid}}}
        ).status_code
        == 200
    )
    auditor = {**bearer(make_actor(Role.REGISTRY_CLERK)), **MEDIATOR}
    path = "/api/govstack/data/myPersonalDataUsage"
    response = client.get(
        path, headers=auditor, params={"userId": citizen.pid, "databaseId": "population"}
    )
    assert response.status_code == 200, response.text
    body = spec_ok(response, "GET", path)
    client_id = PARTNERS["bhxh"]
    agency = [u for u in body if u["readerId"] == f"client:{client_id}"]
    assert agency and agency[0]["readerInstitutionName"] == "Bệnh viện bhxh"
    assert agency[0]["readerInstitutionId"] == client_id
    assert agency[0]["purpose"] == "social_insurance"
    legacy = client.get(
        "/api/govstack/data/MyPersonalDataUsage/1.0",
        headers=auditor,
        params={"userID": citizen.pid, "DatabaseID": "population"},
    )
    assert legacy.status_code == 200
    check_suite("usage", legacy.json())
    assert any(u["ReaderID"] == f"client:{client_id}" for u in legacy.json())


@pytest.mark.parametrize(("user", "database"), [("...", "population"), ("066192000001", "...")])
def test_my_personal_data_usage_refuses_an_invalid_id_with_400(client, session, user, database):
    auditor = {**bearer(make_actor(Role.REGISTRY_CLERK)), **MEDIATOR}
    path = "/api/govstack/data/myPersonalDataUsage"
    response = client.get(path, headers=auditor, params={"userId": user, "databaseId": database})
    assert response.status_code == 400
    check_response("GET", path, 400, None)


def test_my_personal_data_usage_needs_the_audit_right(client, session, citizen):
    partner = partner_token(client, session)
    response = client.get(
        "/api/govstack/data/myPersonalDataUsage",
        headers=partner,
        params={"userId": citizen.pid, "databaseId": "population"},
    )
    assert response.status_code == 403


# --- the door's own refusals -----------------------------------------------------------------


def test_every_call_names_its_xroad_client(client, session, citizen):
    headers = partner_token(client, session)
    headers.pop("Information-Mediator-Client")
    response = client.post(
        f"{BASE}/read", json={"query": {"content": {"id": citizen.pid}}}, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "registries.mediator_client"


def test_an_unknown_registry_is_not_found(client, session, citizen):
    headers = partner_token(client, session)
    response = client.post(
        "/api/govstack/data/mcts/1.0/read",
        json={"query": {"content": {"id": citizen.pid}}},
        headers=headers,
    )
    assert response.status_code == 404 and response.json()["code"] == "registries.unknown_registry"


def test_anonymous_is_refused(client, session, citizen):
    body = {"query": {"content": {"id": citizen.pid}}}
    assert client.post(f"{BASE}/read", json=body, headers=MEDIATOR).status_code == 401


# --- metaservices ------------------------------------------------------------------------


def test_metaservices_describe_the_services_like_xroad(client, session):
    headers = partner_token(client, session, "nh-thu", "bank")
    meta = "/api/exchange/metaservices"
    clients = client.get(f"{meta}/listClients", headers=headers).json()
    member = clients["member"][0]
    assert (member["id"]["member_code"], member["name"]) == (PARTNERS["nh-thu"], "Bệnh viện nh-thu")
    methods = client.get(f"{meta}/listMethods", headers=headers).json()["service"]
    assert {m["service_code"] for m in methods} == {"ekyc", "cleaning", "registries"}
    allowed = client.get(f"{meta}/allowedMethods", headers=headers).json()["service"]
    assert {m["service_code"] for m in allowed} == {"ekyc", "cleaning", "registries"}
    openapi = client.get(
        f"{meta}/getOpenAPI", params={"serviceCode": "registries"}, headers=headers
    ).json()
    assert openapi["paths"] and all(p.startswith("/api/govstack") for p in openapi["paths"])
    missing = client.get(f"{meta}/getOpenAPI", params={"serviceCode": "nope"}, headers=headers)
    assert missing.status_code == 404


def test_allowed_methods_follow_the_partner_purposes(client, session):
    headers = partner_token(client, session)  # an agency: social_insurance only
    allowed = client.get("/api/exchange/metaservices/allowedMethods", headers=headers).json()
    assert {m["service_code"] for m in allowed["service"]} == {"registries"}


# --- partner accesses for the area review ------------------------------------------------


def _accesses(session: Session, pid: str) -> list[tuple[str, str, str]]:
    rows = session.execute(
        select(PartnerAccess.kind, PartnerAccess.purpose, PartnerAccess.commune_code).where(
            PartnerAccess.pid == pid
        )
    ).all()
    return [tuple(r) for r in rows]


def test_exists_and_list_count_as_partner_accesses_of_the_citizens_area(client, session, citizen):
    """A partner that learns a citizen exists, or lists them, read data of that citizen:
    the area's officers see it in their review like a read."""
    headers = partner_token(client, session)
    seen = ("registries", "social_insurance", citizen.commune_code)
    found = call(
        client, "POST", f"{BASE}/exists", headers, {"query": {"content": {"id": citizen.pid}}}
    )
    assert found.json()["answer"]["status"] is True
    assert _accesses(session, citizen.pid) == [seen]
    by_name = {"query": {"content": {"firstName": "Thị Cúc", "lastName": "Lê"}}}
    assert call(client, "POST", f"{BASE}/exists", headers, by_name).json()["answer"]["status"]
    assert _accesses(session, citizen.pid) == [seen] * 2
    nobody = {"query": {"content": {"firstName": "Không", "lastName": "Có"}}}
    call(client, "POST", f"{BASE}/exists", headers, nobody)
    listed = call(client, "GET", BASE, headers, params={"search": "Lê Thị Cúc"})
    assert listed.json()["count"] == 1
    assert _accesses(session, citizen.pid) == [seen] * 3
    assert session.scalar(select(func.count()).select_from(PartnerAccess)) == 3
