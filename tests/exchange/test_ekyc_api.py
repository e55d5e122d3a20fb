"""The eKYC route through the exchange door, with a bank partner's real token: purposes,
fields, refusals audited and every request in the message log."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.audit import AuditEntry
from dancu.demo.chips import make_csca, make_document_signer
from dancu.exchange.ekyc import service
from dancu.exchange.messagelog.models import LogEntry
from dancu.settings import get_settings
from tests.exchange.conftest import make_partner, token
from tests.exchange.ekyc_world import chip_of, issue, request_body
from tests.identity import helpers

URL = "/api/exchange/ekyc/verify"


@pytest.fixture(scope="module")
def csca():
    return make_csca()


@pytest.fixture(scope="module")
def signer(csca):
    return make_document_signer(csca)


@pytest.fixture(autouse=True)
def trusted(csca, tmp_path, monkeypatch) -> None:
    (tmp_path / "csca.pem").write_bytes(csca.pem())
    monkeypatch.setattr(get_settings(), "identity_csca_dir", str(tmp_path))


def bank(client: TestClient, session: Session, code: str = "nh-thu") -> dict[str, str]:
    partner = make_partner(session, code, "bank", facility=None)
    return {"Authorization": f"Bearer {token(client, partner)}"}


def log_codes(session: Session) -> list[str]:
    session.flush()
    return [e.code for e in session.scalars(select(LogEntry).order_by(LogEntry.id))]


def test_a_bank_verifies_a_chip_and_checks_the_signature_with_the_jwks(client, session, signer):
    holder = helpers.citizen(session, "Phạm Minh Đức", birth_date=date(1988, 8, 8))
    card = issue(session, holder)
    body = request_body(chip_of(signer, holder, card), holder.pid)
    response = client.post(URL, json=body, headers=bank(client, session))
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["verdict"] == "verified" and out["request_id"]
    jwks = client.get("/exchange/ekyc/jwks")
    assert jwks.status_code == 200 and jwks.json() == service.jwks(session)
    payload = service.read_result(session, out["jws"])
    assert payload["attributes"] == {"birth_date": "1988-08-08", "full_name": "Phạm Minh Đức"}
    assert payload["aud"] == "nh-thu"
    assert log_codes(session) == ["ok"]


def test_a_refusal_has_its_code_is_audited_and_logged(client, session, signer):
    holder = helpers.citizen(session, "Phạm Minh Đức", birth_date=date(1988, 8, 8))
    card = issue(session, holder)
    holder.status, holder.death_date = "deceased", date(2026, 2, 1)
    body = request_body(chip_of(signer, holder, card), holder.pid)
    response = client.post(URL, json=body, headers=bank(client, session))
    assert response.status_code == 409 and response.json()["code"] == "ekyc.citizen_deceased"
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_id == holder.pid)
    ).all()
    assert "ekyc.citizen_deceased" in actions
    assert "citizen.read" not in actions  # the read was undone with the refusal
    assert log_codes(session) == ["ekyc.citizen_deceased"]


def test_a_field_outside_the_banks_grant_is_refused(client, session, signer):
    holder = helpers.citizen(session)
    body = request_body(
        chip_of(signer, holder, issue(session, holder)),
        holder.pid,
        attributes=["full_name", "permanent_address"],
    )
    response = client.post(URL, json=body, headers=bank(client, session))
    assert response.status_code == 403 and response.json()["code"] == "exchange.field_not_allowed"


def test_anonymous_and_a_hospital_are_refused(client, session, signer):
    holder = helpers.citizen(session)
    body = request_body(chip_of(signer, holder, issue(session, holder)), holder.pid)
    assert client.post(URL, json=body).status_code == 401
    hospital = make_partner(session, "bv-khac")
    response = client.post(
        URL, json=body, headers={"Authorization": f"Bearer {token(client, hospital)}"}
    )
    assert response.status_code == 403
    assert response.json()["code"] in {"exchange.purpose_not_granted", "auth.purpose_not_allowed"}
    audited = session.scalars(
        select(AuditEntry.id).where(
            AuditEntry.subject_id == holder.pid, AuditEntry.action.like("ekyc.%")
        )
    ).all()
    assert audited == []  # nothing was read: nothing released
