"""A revoked, expired, rotated-out or suspended partner credential gets no new access token
at identity's token endpoint (the exchange's client gate), not only a refusal at the door."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from dancu.common.access import SYSTEM_ACTOR
from dancu.common.audit import AuditEntry
from dancu.db import utcnow
from dancu.exchange.partners import service as partners
from dancu.exchange.partners.models import Credential
from dancu.identity.oidc import clients as oidc_clients
from tests.exchange.conftest import token


def _ask(client, partner):  # type: ignore[no-untyped-def]
    return client.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": "exchange.use"},
        auth=(partner.client_id, partner.secret),
    )


def _refused(response, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_description"].startswith(f"{code}:"), body
    assert "access_token" not in body


def _audited(session, client_id: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    session.expire_all()
    stmt = select(AuditEntry).where(
        AuditEntry.action == "exchange.refused", AuditEntry.subject_id == client_id
    )
    return [list(e.fields) for e in session.scalars(stmt)]


def test_a_live_credential_gets_its_token(client, session, hospital):
    assert token(client, hospital)
    assert _audited(session, hospital.client_id) == []


def test_a_revoked_credential_gets_no_new_token(client, session, hospital):
    assert _ask(client, hospital).status_code == 200
    partners.revoke_credential(session, hospital.client_id, actor=SYSTEM_ACTOR)
    session.flush()
    _refused(_ask(client, hospital), "exchange.credential_revoked")
    assert _audited(session, hospital.client_id) == [["exchange.credential_revoked"]]


@pytest.mark.parametrize(
    ("rotated", "code"),
    [(False, "exchange.credential_expired"), (True, "exchange.credential_rotated")],
)
def test_an_expired_or_rotated_out_credential_gets_no_new_token(
    client, session, hospital, rotated, code
):
    cred = session.get(Credential, hospital.client_id)
    cred.expires_at = utcnow() - timedelta(seconds=1)
    cred.rotated_at = utcnow() - timedelta(days=1) if rotated else None
    session.flush()
    _refused(_ask(client, hospital), code)
    assert _audited(session, hospital.client_id) == [[code]]


def test_a_suspended_partner_gets_no_new_token_and_reinstated_does(client, session, hospital):
    partners.suspend_partner(session, hospital.code, actor=SYSTEM_ACTOR, reason="audit finding")
    session.flush()
    _refused(_ask(client, hospital), "exchange.partner_suspended")
    partners.reinstate_partner(session, hospital.code, actor=SYSTEM_ACTOR)
    session.flush()
    assert _ask(client, hospital).status_code == 200


def test_a_client_that_is_no_exchange_credential_passes_the_gate(client, session):
    new = oidc_clients.add_client(
        session,
        client_id="relying-batch",
        name="A batch client",
        auth_method="client_secret_basic",
        scopes=["registry.read"],
        grant_types=["client_credentials"],
    )
    session.flush()
    response = client.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": "registry.read"},
        auth=("relying-batch", new.secret),
    )
    assert response.status_code == 200, response.text
