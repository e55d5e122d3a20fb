"""The exchange door over HTTP: a hospital's check-in, and every refusal with its code."""

from __future__ import annotations

from datetime import date, timedelta

from joserfc.jwk import ECKey
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR, Role
from dancu.common.audit import AuditEntry
from dancu.db import utcnow
from dancu.exchange.messagelog.models import LogEntry
from dancu.exchange.partners import service as partners
from dancu.exchange.partners.models import Credential
from dancu.exchange.partners.schemas import PurposeIn
from dancu.registry import civil_status
from dancu.registry.schemas import DeathIn
from tests.conftest import bearer, make_actor
from tests.exchange.conftest import checkin, make_partner, refused, token
from tests.identity.oidc_helpers import dpop_proof


def _count(session: Session, code: str) -> int:
    rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.refused"))
    return sum(1 for r in rows if code in r.fields)


def test_checkin_by_id_number_answers_the_purpose_fields_only(client, session, hospital, patient):
    tok = token(client, hospital)
    response = checkin(client, tok, {"pid": patient.pid})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["full_name"] == "Trần Thị Bình"
    assert body["birth_date"] == "1985-03-09"
    assert body["sex"] == "F"
    assert body["insurance_valid"] is True
    assert body["insurance_benefit_level"] == 4
    # nothing beyond the hospital's default fields: no ID number, address or card number
    personal = set(body) - {"purpose", "checked_at", "request_id"}
    assert personal == {
        "full_name",
        "birth_date",
        "sex",
        "insurance_valid",
        "insurance_benefit_level",
    }
    # audited under the citizen with exactly the released fields, and in the message log
    session.flush()
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "exchange.checkin", AuditEntry.subject_id == patient.pid
        )
    ).one()
    assert sorted(entry.fields) == sorted(personal)
    assert entry.purpose == "health_checkin"
    logged = session.scalars(
        select(LogEntry).where(LogEntry.request_id == body["request_id"])
    ).one()
    assert (logged.status, logged.code, logged.partner_code) == (200, "ok", "bv-tinh")


def test_a_field_outside_the_purpose_is_refused(client, session, hospital, patient):
    tok = token(client, hospital)
    response = checkin(client, tok, {"pid": patient.pid, "fields": ["full_name", "ethnicity"]})
    refused(response, 403, "exchange.field_not_allowed")
    assert _count(session, "exchange.field_not_allowed") == 1
    logged = session.scalars(
        select(LogEntry).where(LogEntry.code == "exchange.field_not_allowed")
    ).one()
    assert logged.status == 403 and logged.fields == []


def test_a_consent_only_field_needs_the_citizens_consent(client, session, hospital, patient):
    tok = token(client, hospital)
    response = checkin(
        client, tok, {"pid": patient.pid, "fields": ["full_name", "permanent_address"]}
    )
    refused(response, 403, "exchange.consent_required")


def test_expired_credential_is_refused(client, session, hospital, patient):
    tok = token(client, hospital)
    session.get(Credential, hospital.client_id).expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    refused(checkin(client, tok, {"pid": patient.pid}), 401, "exchange.credential_expired")
    assert _count(session, "exchange.credential_expired") == 1


def test_rotated_out_credential_works_during_the_overlap_then_is_refused(
    client, session, hospital, patient
):
    old = token(client, hospital)
    new = partners.rotate_credential(
        session, hospital.client_id, actor=SYSTEM_ACTOR, overlap_hours=1
    )
    session.flush()
    assert checkin(client, old, {"pid": patient.pid}).status_code == 200
    session.get(Credential, hospital.client_id).expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    refused(checkin(client, old, {"pid": patient.pid}), 401, "exchange.credential_rotated")
    rotated = type(hospital)(hospital.code, new.client_id, new.secret or "")
    assert checkin(client, token(client, rotated), {"pid": patient.pid}).status_code == 200


def test_revoked_credential_is_refused_at_once(client, session, hospital, patient):
    tok = token(client, hospital)
    assert checkin(client, tok, {"pid": patient.pid}).status_code == 200
    partners.revoke_credential(session, hospital.client_id, actor=SYSTEM_ACTOR)
    session.flush()
    refused(checkin(client, tok, {"pid": patient.pid}), 401, "exchange.credential_revoked")
    assert _count(session, "exchange.credential_revoked") == 1


def test_suspended_partner_is_refused(client, session, hospital, patient):
    tok = token(client, hospital)
    partners.suspend_partner(session, hospital.code, actor=SYSTEM_ACTOR, reason="audit finding")
    session.flush()
    refused(checkin(client, tok, {"pid": patient.pid}), 403, "exchange.partner_suspended")
    assert _count(session, "exchange.partner_suspended") == 1


def test_deceased_citizen_is_refused(client, session, hospital, patient):
    tok = token(client, hospital)
    civil_status.register_death(
        session, DeathIn(pid=patient.pid, death_date=date(2025, 6, 1)), actor=SYSTEM_ACTOR
    )
    session.flush()
    refused(checkin(client, tok, {"pid": patient.pid}), 409, "exchange.citizen_deceased")
    assert _count(session, "exchange.citizen_deceased") == 1


def test_over_the_rate_limit_answers_429_with_retry_after(client, session, patient):
    partner = make_partner(
        session, "bv-nho", purposes=[PurposeIn(purpose="health_checkin", rate_per_minute=2)]
    )
    tok = token(client, partner)
    assert checkin(client, tok, {"pid": patient.pid}).status_code == 200
    assert checkin(client, tok, {"pid": patient.pid}).status_code == 200
    response = checkin(client, tok, {"pid": patient.pid})
    refused(response, 429, "exchange.rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert _count(session, "exchange.rate_limited") == 1


def test_a_purpose_the_partner_lacks_is_refused(client, session, hospital):
    tok = token(client, hospital)
    response = client.get(
        "/api/exchange/me",
        params={"purpose": "bank_ekyc"},
        headers={"Authorization": f"Bearer {tok}"},
    )
    # the kernel refuses a named purpose the client is not bound to before the door
    refused(response, 403, "auth.purpose_not_allowed")


def test_an_officer_token_is_not_a_partner(client, session, patient):
    response = client.post(
        "/api/exchange/checkin",
        json={"pid": patient.pid},
        headers=bearer(make_actor(Role.REGISTRY_CLERK)),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "exchange.credential_not_found"


def test_without_a_token_the_door_answers_401_and_audits(client, session, patient):
    headers = {"Authorization": "Bearer nope"}
    response = client.post("/api/exchange/checkin", json={"pid": patient.pid}, headers=headers)
    refused(response, 401, "auth.invalid_token")
    session.expire_all()
    kept = session.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.refused"))
    assert [e.subject_id for e in kept] == ["auth.invalid_token"]


def test_a_replayed_dpop_request_is_refused(client, session, hospital, patient):
    key = ECKey.generate_key("P-256")
    token_url = "http://testserver/oidc/token"
    issued = client.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": "exchange.use"},
        auth=(hospital.client_id, hospital.secret),
        headers={"DPoP": dpop_proof(key, "POST", token_url)},
    )
    assert issued.status_code == 200, issued.text
    tok = issued.json()["access_token"]
    url = "http://testserver/api/exchange/checkin"
    proof = dpop_proof(key, "POST", url, access_token=tok)
    headers = {"Authorization": f"DPoP {tok}", "DPoP": proof}
    assert client.post(url, json={"pid": patient.pid}, headers=headers).status_code == 200
    replay = client.post(url, json={"pid": patient.pid}, headers=headers)
    refused(replay, 401, "auth.invalid_token")
    assert "replayed" in replay.headers["WWW-Authenticate"]
    session.expire_all()
    kept = session.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.refused"))
    assert [e.subject_id for e in kept] == ["auth.invalid_token"]


def _card_body(pid: str) -> dict:  # type: ignore[type-arg]
    return {
        "cards": [
            {
                "card_number": "HN2660000012345",
                "pid": pid,
                "full_name": "Trần Thị Bình",
                "birth_date": "1985-03-09",
                "sex": "F",
                "valid_from": "2026-01-01",
                "valid_to": "2026-12-31",
                "facility_code": "66001",
                "facility_name": "BV",
                "benefit_level": 2,
            }
        ]
    }


def test_the_insurer_sends_cards_and_a_hospital_may_not(client, session, hospital, patient):
    insurer = make_partner(session, "bhxh-test", "insurer", facility=None)
    answer = client.post(
        "/api/exchange/insurance/cards",
        json=_card_body(patient.pid),
        headers={"Authorization": f"Bearer {token(client, insurer)}"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] == 1
    refused(
        client.post(
            "/api/exchange/insurance/cards",
            json=_card_body(patient.pid),
            headers={"Authorization": f"Bearer {token(client, hospital)}"},
        ),
        403,
        "exchange.purpose_not_granted",
    )


def test_a_partner_asks_for_consent_and_reads_its_receipt(client, session, hospital, patient):
    tok = token(client, hospital)
    auth = {"Authorization": f"Bearer {tok}"}
    body = {
        "pid": patient.pid,
        "purpose": "health_checkin",
        "fields": ["permanent_address"],
        "reason": "Gửi kết quả về nhà",
        "days": 7,
    }
    asked = client.post("/api/exchange/consents", json=body, headers=auth)
    assert asked.status_code == 200, asked.text
    receipt = client.get(
        f"/api/exchange/consents/{asked.json()['id']}",
        params={"purpose": "health_checkin"},
        headers=auth,
    )
    assert (
        receipt.json()["status"] == "pending" and receipt.json()["partner"] == "Bệnh viện bv-tinh"
    )
    outside = client.post(
        "/api/exchange/consents", json={**body, "fields": ["ethnicity"]}, headers=auth
    )
    refused(outside, 403, "exchange.field_not_allowed")


def _trail(session: Session, pid: str) -> list[str]:
    session.expire_all()
    stmt = select(AuditEntry.action).where(
        AuditEntry.subject_type == "citizen", AuditEntry.subject_id == pid
    )
    return sorted(session.scalars(stmt))


def test_one_check_in_is_one_entry_in_the_citizens_access_list(client, session, hospital, patient):
    before = _trail(session, patient.pid)
    tok = token(client, hospital)
    assert checkin(client, tok, {"pid": patient.pid}).status_code == 200
    assert checkin(client, tok, {"pid": patient.pid}).status_code == 200
    added = _trail(session, patient.pid)
    for action in before:
        added.remove(action)
    assert added == ["exchange.checkin", "exchange.checkin"]  # no citizen.read beside each


def test_a_check_in_runs_its_baseline_of_statements_and_locks_no_shared_row(
    client, session, engine, hospital, patient
):
    tok = token(client, hospital)
    assert checkin(client, tok, {"pid": patient.pid}).status_code == 200
    seen: list[str] = []

    def grab(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        assert checkin(client, tok, {"pid": patient.pid}).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    work = [s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE"))]
    # token, door row, citizen record, insurance card, access row, audit entry, message log
    assert len(work) == 7, work
    assert sum(s.startswith("INSERT INTO audit_log") for s in work) == 1
    assert not [s for s in work if s.startswith("UPDATE") or "ON CONFLICT" in s]
