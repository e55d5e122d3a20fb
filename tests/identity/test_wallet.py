"""The wallet service on both backends: issue, list, verify, revoke, rotate, expire."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from joserfc.jwk import ECKey
from sqlalchemy import select

from dancu.common.audit import AuditEntry
from dancu.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.demo.wallet_documents import issue_demo_documents
from dancu.identity.accounts.models import Account
from dancu.identity.keys import service as keys
from dancu.identity.wallet import sd_jwt as credentials
from dancu.identity.wallet import service as wallet
from tests.conftest import COMMUNE, make_actor
from tests.registry.factories import person

CLAIMS = {
    "full_name": "Phạm Thị Hoa",
    "birth_date": "1992-07-09",
    "personal_id": "066192000123",
    "insurance_number": "6612345678",
    "benefit_level": 4,
}
ISSUER = wallet.WALLET_ISSUER_ACTOR


def make_account(session, name: str = "Phạm Thị Hoa", birth: date = date(1992, 7, 9)) -> Account:
    citizen = person(session, name, birth_date=birth, sex="F")
    account = Account(
        citizen_pid=citizen.pid,
        display_name=name,
        level=2,
        status="active",
        province_code="66",
        commune_code=COMMUNE,
    )
    session.add(account)
    session.flush()
    return account


def holder_actor(account: Account):
    return make_actor(units=(), name=account.display_name)


@pytest.fixture
def account(session):
    return make_account(session)


@pytest.fixture
def credential(session, account):
    return wallet.issue_document(session, account.id, "health_insurance_card", CLAIMS, actor=ISSUER)


def test_issue_then_verify_valid(session, credential):
    assert credential.vct == "urn:vn:dancu:vct:health-insurance-card:1"
    result = wallet.verify_presentation(session, credential.sd_jwt)
    assert result.valid, result
    assert result.claims == CLAIMS
    assert result.vct == credential.vct
    assert result.issuer == wallet.issuer()
    assert result.expires_at == int(credential.expires_at.timestamp())


def test_selective_presentation_verifies_with_only_the_chosen_claims(session, credential):
    shown = credentials.present(credential.sd_jwt, {"insurance_number", "benefit_level"})
    result = wallet.verify_presentation(session, shown)
    assert result.valid
    assert result.claims == {"insurance_number": "6612345678", "benefit_level": 4}


def test_tampered_payload_fails(session, credential):
    jwt, _disclosures, _ = credentials.split(credential.sd_jwt)
    header, body, signature = jwt.split(".")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    result = wallet.verify_presentation(session, f"{header}.{flipped}.{signature}~")
    assert (result.valid, result.code, result.claims) == (False, "wallet.signature", {})


def test_altered_disclosure_fails(session, credential):
    jwt, disclosures, _ = credentials.split(credential.sd_jwt)
    forged = credentials.make_disclosure("benefit_level", 1)
    result = wallet.verify_presentation(session, "~".join([jwt, *disclosures[:1], forged]) + "~")
    assert (result.valid, result.code) == (False, "wallet.disclosure")


def test_revoked_fails_through_the_status_list(session, credential):
    officer = make_actor(wallet.Role.PROCEDURE_OFFICER)
    wallet.revoke(session, credential.credential_id, actor=officer, reason="Card replaced")
    result = wallet.verify_presentation(session, credential.sd_jwt)
    assert (result.valid, result.code) == (False, "wallet.revoked")
    with pytest.raises(Conflict):
        wallet.revoke(session, credential.credential_id, actor=officer, reason="again")
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "wallet.revoke")).all()
    assert [(a.actor_id, a.subject_id) for a in audit] == [(officer.id, credential.citizen_pid)]


def test_revocation_of_one_leaves_the_others_valid(session, account, credential):
    other = wallet.issue_document(
        session, account.id, "ehealth_book_summary", {"blood_type": "O+"}, actor=ISSUER
    )
    assert (other.status_list_id, other.status_index) != (
        credential.status_list_id,
        credential.status_index,
    )
    wallet.revoke(session, credential.credential_id, actor=ISSUER, reason="test")
    assert wallet.verify_presentation(session, other.sd_jwt).valid


def test_only_an_issuing_authority_revokes_or_issues(session, account, credential):
    for actor in (holder_actor(account), make_actor(wallet.Role.STEERING_VIEWER)):
        with pytest.raises(Forbidden):
            wallet.revoke(session, credential.credential_id, actor=actor, reason="x")
        with pytest.raises(Forbidden):
            wallet.issue_document(session, account.id, "driving_licence", {}, actor=actor)
    assert wallet.verify_presentation(session, credential.sd_jwt).valid  # nothing changed


def test_expired_fails(session, account):
    issued = utcnow() - timedelta(days=200)
    old = wallet.issue_document(
        session,
        account.id,
        "criminal_record_certificate",
        {"has_criminal_record": False},
        actor=ISSUER,
        now=issued,
    )
    assert wallet.verify_presentation(session, old.sd_jwt, now=issued + timedelta(days=1)).valid
    result = wallet.verify_presentation(session, old.sd_jwt)
    assert (result.valid, result.code) == (False, "wallet.expired")


def test_signed_by_an_unknown_key_fails(session, credential):
    stranger = ECKey.generate_key("P-256", private=True, auto_kid=True)
    payload = credentials.verify(
        credential.sd_jwt, keys.verification_keys(session, "wallet"), now=int(utcnow().timestamp())
    ).claims
    forged = credentials.issue(payload, {"full_name"}, stranger)
    result = wallet.verify_presentation(session, forged)
    assert (result.valid, result.code) == (False, "wallet.unknown_key")


def test_key_rotation_keeps_older_credentials_verifiable(session, account, credential):
    old_kid = credential.issuer_kid
    keys.rotate(session, "wallet")
    newer = wallet.issue_document(
        session, account.id, "driving_licence", {"licence_number": "660123456789"}, actor=ISSUER
    )
    assert newer.issuer_kid != old_kid
    assert wallet.verify_presentation(session, credential.sd_jwt).valid
    assert wallet.verify_presentation(session, newer.sd_jwt).valid
    published = {k["kid"] for k in wallet.issuer_metadata(session)["jwks"]["keys"]}
    assert {old_kid, newer.issuer_kid} <= published
    # Once the old key retires, what it signed no longer verifies.
    later = utcnow() + keys.GRACE["wallet"] + timedelta(days=1)
    result = wallet.verify_presentation(session, credential.sd_jwt, now=later)
    assert not result.valid and result.code in {"wallet.unknown_key", "wallet.expired"}


def test_unknown_type_claims_and_account_are_refused(session, account):
    with pytest.raises(ValidationFailed) as err:
        wallet.issue_document(session, account.id, "passport", {}, actor=ISSUER)
    assert err.value.code == "wallet.document_type"
    with pytest.raises(ValidationFailed) as err:
        wallet.issue_document(
            session, account.id, "driving_licence", {"blood_type": "A"}, actor=ISSUER
        )
    assert err.value.code == "wallet.claims"
    with pytest.raises(NotFound):
        wallet.issue_document(session, 999_999, "driving_licence", {}, actor=ISSUER)


def test_list_and_get_are_the_holders_own_and_audited(session, account, credential):
    someone = make_account(session, "Lê Văn Nam", date(1980, 1, 2))
    actor = holder_actor(account)
    assert [c.credential_id for c in wallet.list_documents(session, account.id, actor=actor)] == [
        credential.credential_id
    ]
    assert wallet.list_documents(session, someone.id, actor=actor) == []
    with pytest.raises(NotFound):
        wallet.get_document(session, someone.id, credential.credential_id, actor=actor)
    got = wallet.get_document(session, account.id, credential.credential_id, actor=actor)
    assert got.id == credential.id
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_id == account.citizen_pid)
    ).all()
    assert sorted(actions) == ["wallet.issue", "wallet.list", "wallet.read"]


def test_status_list_token_answers_unknown_lists_with_not_found(session):
    with pytest.raises(NotFound):
        wallet.status_list_token(session, "nope")


def test_demo_documents_are_issued_once_and_verify(session):
    account = make_account(session, "Võ Minh Tâm", date(1975, 4, 30))
    first = issue_demo_documents(session, account)
    kinds = sorted(c.doc_type for c in first)
    assert kinds == [
        "criminal_record_certificate",
        "driving_licence",
        "ehealth_book_summary",
        "health_insurance_card",
        "vehicle_registration",
    ]
    assert issue_demo_documents(session, account.id) == []
    for row in first:
        result = wallet.verify_presentation(session, row.sd_jwt)
        assert result.valid, (row.doc_type, result)
        assert result.claims["full_name"] == "Võ Minh Tâm"
        assert result.claims["personal_id"] == account.citizen_pid


def test_a_child_gets_no_driving_documents(session):
    child = make_account(session, "Võ Minh Khôi", date(2015, 6, 1))
    kinds = {c.doc_type for c in issue_demo_documents(session, child)}
    assert kinds == {"criminal_record_certificate", "ehealth_book_summary", "health_insurance_card"}


def test_a_procedure_result_carries_a_structured_result(session, account):
    claims = {
        "procedure_code": "1.001234",
        "procedure_name": "Đăng ký khai sinh",
        "dossier_number": "HS-2026-000123",
        "decided_on": "2026-01-10",
        "result": {"decision": "approved", "certificate_no": "KS-15/2026"},
    }
    row = wallet.issue_document(session, account.id, "procedure_result", claims, actor=ISSUER)
    assert row.vct == "urn:vn:dancu:vct:procedure-result:1"
    shown = credentials.present(row.sd_jwt, {"procedure_code", "result"})
    result = wallet.verify_presentation(session, shown)
    assert result.valid
    assert result.claims == {"procedure_code": "1.001234", "result": claims["result"]}


def test_reissue_after_rotation_keeps_documents_verifiable_past_the_grace(session, account):
    live = wallet.issue_document(
        session, account.id, "driving_licence", {"licence_number": "660123456789"}, actor=ISSUER
    )
    gone = wallet.issue_document(
        session, account.id, "vehicle_registration", {"plate_number": "47A1-12345"}, actor=ISSUER
    )
    wallet.revoke(session, gone.credential_id, actor=ISSUER, reason="sold")
    old_copy = live.sd_jwt
    keys.rotate(session, "wallet")
    with pytest.raises(Forbidden):
        wallet.reissue_after_rotation(session, actor=make_actor(wallet.Role.POLICE))
    assert wallet.reissue_after_rotation(session, actor=ISSUER) == 1
    session.refresh(live)
    assert live.sd_jwt != old_copy and live.issuer_kid == keys.active_key(session, "wallet").kid
    later = utcnow() + keys.GRACE["wallet"] + timedelta(days=1)
    assert wallet.verify_presentation(session, live.sd_jwt, now=later).valid
    assert wallet.verify_presentation(session, old_copy, now=later).code == "wallet.unknown_key"
    renewed = wallet.verify_presentation(session, live.sd_jwt)
    assert renewed.claims["licence_number"] == "660123456789"
    assert renewed.expires_at == int(live.expires_at.timestamp())
    assert wallet.reissue_after_rotation(session, actor=ISSUER) == 0  # nothing left to do
