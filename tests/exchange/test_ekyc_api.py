"""The eKYC route with a bank's client-credentials token: scopes, purposes, refusals audited."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.audit import AuditEntry
from dancu.demo.chips import make_csca, make_document_signer
from dancu.exchange.ekyc import service
from dancu.settings import get_settings
from tests.exchange.ekyc_world import bank_client, chip_of, issue, request_body
from tests.identity import helpers

URL = "/api/exchange/ekyc/verify"


@pytest.fixture(scope="module")
def csca():
    return make_csca()


@pytest.fixture(scope="module")
def signer(csca):
    return make_document_signer(csca)


@pytest.fixture
def trusted(csca, tmp_path, monkeypatch) -> None:
    (tmp_path / "csca.pem").write_bytes(csca.pem())
    monkeypatch.setattr(get_settings(), "identity_csca_dir", str(tmp_path))


def token(client: TestClient, rp, scope: str = "exchange.ekyc") -> str:
    response = client.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(rp.client_id, rp.secret),
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_a_bank_verifies_a_chip_and_checks_the_signature_with_the_jwks(
    client, session: Session, signer, trusted
):
    holder = helpers.citizen(session, "Phạm Minh Đức", birth_date=date(1988, 8, 8))
    card = issue(session, holder)
    bank = bank_client(session)
    body = request_body(chip_of(signer, holder, card), holder.pid)
    response = client.post(
        URL, json=body, headers={"Authorization": f"Bearer {token(client, bank)}"}
    )
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["verdict"] == "verified"
    jwks = client.get("/exchange/ekyc/jwks")
    assert jwks.status_code == 200 and jwks.json() == service.jwks(session)
    assert service.read_result(session, out["jws"])["attributes"]["full_name"] == "Phạm Minh Đức"


def test_a_refusal_has_its_code_and_is_audited_after_the_rollback(
    client, session: Session, signer, trusted
):
    holder = helpers.citizen(session, "Phạm Minh Đức", birth_date=date(1988, 8, 8))
    card = issue(session, holder)
    holder.status = "deceased"
    holder.death_date = date(2026, 2, 1)
    bank = bank_client(session)
    body = request_body(chip_of(signer, holder, card), holder.pid)
    response = client.post(
        URL, json=body, headers={"Authorization": f"Bearer {token(client, bank)}"}
    )
    assert response.status_code == 409 and response.json()["code"] == "ekyc.citizen_deceased"
    actions = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.subject_id == holder.pid, AuditEntry.actor_id == "client:bank"
        )
    ).all()
    assert actions == ["ekyc.citizen_deceased"]


def test_anonymous_and_wrong_scope_and_wrong_purpose_are_refused(
    client, session: Session, signer, trusted
):
    holder = helpers.citizen(session)
    body = request_body(chip_of(signer, holder, issue(session, holder)), holder.pid)
    assert client.post(URL, json=body).status_code == 401
    reader = bank_client(session, "reader", scopes=("exchange.ekyc", "registry.read"))
    wrong_scope = client.post(
        URL,
        json=body,
        headers={"Authorization": f"Bearer {token(client, reader, 'registry.read')}"},
    )
    assert wrong_scope.status_code == 403
    assert wrong_scope.json()["code"] == "auth.insufficient_scope"
    other = bank_client(session, "insurer", purposes=("residence",))
    wrong_purpose = client.post(
        URL, json=body, headers={"Authorization": f"Bearer {token(client, other)}"}
    )
    assert wrong_purpose.status_code == 403
    assert wrong_purpose.json()["code"] == "auth.purpose_not_allowed"
    audited = session.scalars(
        select(AuditEntry.id).where(
            AuditEntry.subject_id == holder.pid, AuditEntry.action.like("ekyc.%")
        )
    ).all()
    assert audited == []  # nothing was read: nothing released
