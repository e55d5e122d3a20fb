"""Bank eKYC with the chip: a genuine current card of a living citizen gets a signed result
with only the consented attributes; every attack fails with its code and is audited."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from joserfc import jws
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import SYSTEM_ACTOR, Actor, Role
from dancu.common.errors import DancuError
from dancu.demo.chips import make_csca, make_document_signer
from dancu.exchange.ekyc import service
from dancu.exchange.ekyc.face import FaceResult
from dancu.exchange.ekyc.schemas import EkycIn
from dancu.exchange.partners.schemas import PartnerContext
from dancu.identity.chip.pki import TrustList
from dancu.registry import cards
from dancu.registry.models import Citizen
from tests.exchange.ekyc_world import chip_of, issue, request_body
from tests.identity import helpers

BANK = Actor(
    id="client:bank-1",
    name="Ngân hàng Thử Nghiệm",
    roles=frozenset({Role.EXCHANGE_PARTNER}),
    organization="Ngân hàng TMCP Thử Nghiệm",
    purposes=frozenset({"bank_ekyc"}),
)
GRANTED = frozenset({"full_name", "birth_date", "sex", "card_valid", "alive"})  # the defaults


def context(asked: list[str], actor: Actor = BANK) -> PartnerContext:
    """What the door's ``authorize`` hands the service for a bank (tests of the door's own
    checks are in test_ekyc_api.py)."""
    return PartnerContext(
        partner_id=1,
        partner_code="bank",
        partner_name=actor.name,
        kind="bank",
        facility_code=None,
        client_id="bank-1",
        purpose="bank_ekyc",
        actor=actor,
        fields=GRANTED,
        consent_fields=frozenset(),
        asked=frozenset(asked),
    )


@pytest.fixture(scope="module")
def csca():
    return make_csca()


@pytest.fixture(scope="module")
def signer(csca):
    return make_document_signer(csca)


@pytest.fixture(scope="module")
def trust(csca) -> TrustList:
    return TrustList((csca.cert,))


@pytest.fixture
def holder(session: Session) -> Citizen:
    return helpers.citizen(session, "Trần Thị Bích", birth_date=date(1990, 5, 17), sex="F")


def run(session: Session, body: dict, trust: TrustList, **kw):
    data = EkycIn.model_validate(body)
    return service.verify_customer(session, data, ctx=context(data.attributes), trust=trust, **kw)


def refused(session: Session, body: dict, trust: TrustList, code: str) -> None:
    with pytest.raises(DancuError) as caught:
        run(session, body, trust)
    assert caught.value.code == code, caught.value.message
    kept = audit.take_kept(session)  # written even though the request rolls back
    assert [(e["action"], e["actor"].id, e["purpose"]) for e in kept] == [
        (code, "client:bank-1", "bank_ekyc")
    ]


def test_a_genuine_current_card_gets_a_signed_result_with_only_consented_attributes(
    session, holder, signer, trust
):
    card = issue(session, holder)
    out = run(session, request_body(chip_of(signer, holder, card), holder.pid), trust)
    assert out.verdict == "verified"
    payload = service.read_result(session, out.jws)  # the signature checks with the JWKS
    assert payload == out.result
    assert payload["attributes"] == {"birth_date": "1990-05-17", "full_name": "Trần Thị Bích"}
    assert payload["checks"]["card"] == "current" and payload["checks"]["citizen"] == "alive"
    assert payload["checks"]["face"] == {"status": "not_performed", "reason": "no_live_photo"}
    assert payload["aud"] == "bank" and payload["azp"] == "bank-1"
    assert payload["sub"] == holder.pid
    header = json.loads(base64.urlsafe_b64decode(out.jws.split(".")[0] + "=="))
    assert header["typ"] == "ekyc-result+jwt"
    assert header["kid"] in {k["kid"] for k in service.jwks(session)["keys"]}
    session.flush()
    entry = session.scalars(
        select(audit.AuditEntry).where(
            audit.AuditEntry.subject_id == holder.pid, audit.AuditEntry.actor_id == BANK.id
        )
    ).one()
    assert (entry.action, entry.purpose, entry.fields) == (
        "ekyc.verified",
        "bank_ekyc",
        ["birth_date", "full_name"],
    )
    # the only entry of the eKYC in the citizen's access list: no registry read beside it
    reads = session.scalars(
        select(audit.AuditEntry.action).where(
            audit.AuditEntry.subject_id == holder.pid,
            audit.AuditEntry.purpose == "bank_ekyc",
        )
    ).all()
    assert reads == ["ekyc.verified"]


def test_a_forged_result_does_not_verify(session, holder, signer, trust):
    card = issue(session, holder)
    out = run(session, request_body(chip_of(signer, holder, card), holder.pid), trust)
    head, body, sig = out.jws.split(".")
    forged = json.loads(base64.urlsafe_b64decode(body + "=="))
    forged["attributes"]["full_name"] = "Someone Else"
    body2 = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(Exception):  # noqa: B017 -- joserfc's BadSignatureError
        service.read_result(session, f"{head}.{body2}.{sig}")


def test_nothing_is_released_without_consent(session, holder, signer, trust):
    card = issue(session, holder)
    body = request_body(chip_of(signer, holder, card), holder.pid, attributes=[])
    assert run(session, body, trust).result["attributes"] == {}


def test_claimed_data_differing_from_the_registry_give_a_signed_mismatch(
    session, holder, signer, trust
):
    card = issue(session, holder)
    claimed = {"pid": holder.pid, "full_name": "Tran Thi Bich", "birth_date": "1990-05-17"}
    body = request_body(chip_of(signer, holder, card), holder.pid, claimed=claimed)
    out = run(session, body, trust)
    assert out.verdict == "mismatch"
    assert out.result["checks"]["claims"] == {
        "pid": "match",
        "full_name": "mismatch",
        "birth_date": "match",
    }


def test_a_chip_of_another_person_is_refused(session, holder, signer, trust):
    other = helpers.citizen(session, "Lê Văn Cường", birth_date=date(1985, 1, 2))
    card = issue(session, other)
    body = request_body(chip_of(signer, other, card), holder.pid)
    refused(session, body, trust, "ekyc.chip_mismatch")


def test_a_chip_whose_birth_date_is_not_the_claimed_one_is_refused(session, holder, signer, trust):
    card = issue(session, holder)
    claimed = {"pid": holder.pid, "birth_date": "1991-05-17"}
    body = request_body(chip_of(signer, holder, card), holder.pid, claimed=claimed)
    refused(session, body, trust, "ekyc.chip_mismatch")


@pytest.mark.parametrize(
    ("action", "code"), [("report_lost", "ekyc.card_lost"), ("revoke", "ekyc.card_revoked")]
)
def test_a_lost_or_revoked_card_is_refused(session, holder, signer, trust, action, code):
    card = issue(session, holder)
    cards.transition_card(session, card.id, action, actor=SYSTEM_ACTOR)
    refused(session, request_body(chip_of(signer, holder, card), holder.pid), trust, code)


def test_the_chip_of_a_card_since_renewed_is_refused(session, holder, signer, trust):
    old = issue(session, holder, on=date(2012, 1, 10))  # issued at 21: expired at 25
    new = issue(session, holder, reason="renewal")
    assert old.expires_on != new.expires_on
    body = request_body(chip_of(signer, holder, old), holder.pid)
    refused(session, body, trust, "ekyc.card_superseded")


def test_the_chip_of_a_card_being_replaced_is_refused(session, holder, signer, trust):
    card = issue(session, holder)
    cards.apply_for_card(
        session,
        cards.CardApplicationIn(pid=holder.pid, reason="replacement"),
        actor=SYSTEM_ACTOR,
    )
    refused(
        session,
        request_body(chip_of(signer, holder, card), holder.pid),
        trust,
        "ekyc.card_superseded",
    )


def test_a_deceased_citizen_is_refused(session, holder, signer, trust):
    card = issue(session, holder)
    holder.status, holder.death_date = "deceased", date(2026, 1, 1)
    session.flush()
    refused(
        session,
        request_body(chip_of(signer, holder, card), holder.pid),
        trust,
        "ekyc.citizen_deceased",
    )


def test_a_citizen_without_a_card_is_refused(session, holder, signer, trust):
    fake = cards.CardOut(
        id=1,
        card_no=holder.pid,
        serial="x",
        status="issued",
        reason="first",
        applied_on=date(2025, 1, 1),
        expires_on=date(2030, 5, 17),
        commune_code=holder.commune_code,
    )
    refused(
        session, request_body(chip_of(signer, holder, fake), holder.pid), trust, "ekyc.card_unknown"
    )


def _flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def test_a_tampered_data_group_is_refused(session, holder, signer, trust):
    card = issue(session, holder)
    chip = chip_of(signer, holder, card)
    body = request_body(chip, holder.pid)
    body["dg2"] = base64.b64encode(_flip(chip.data_groups[2], 40)).decode()
    refused(session, body, trust, "chip.dg_hash_mismatch")


def test_a_tampered_sod_is_refused(session, holder, signer, trust):
    card = issue(session, holder)
    chip = chip_of(signer, holder, card)
    body = request_body(chip, holder.pid)
    body["sod"] = base64.b64encode(_flip(chip.sod, len(chip.sod) - 10)).decode()
    with pytest.raises(DancuError) as caught:
        run(session, body, trust)
    assert caught.value.code in {"chip.signature", "chip.sod_format"}
    assert [e["action"] for e in audit.take_kept(session)] == [caught.value.code]


def test_a_chip_signed_under_another_csca_is_refused(session, holder, trust):
    card = issue(session, holder)
    rogue = make_document_signer(make_csca("Rogue CSCA"))
    body = request_body(chip_of(rogue, holder, card), holder.pid)
    refused(session, body, trust, "chip.untrusted_signer")


def test_data_that_is_not_base64_is_refused(session, holder, signer, trust):
    card = issue(session, holder)
    body = request_body(chip_of(signer, holder, card), holder.pid, dg1="!!!!")
    with pytest.raises(Exception):  # noqa: B017 -- pydantic refuses it at the door
        EkycIn.model_validate(body)
    body["dg1"] = "QUJDRA="  # base64 alphabet, broken padding
    refused(session, body, trust, "ekyc.chip_unreadable")


def test_a_consent_only_attribute_needs_the_citizens_consent(session, holder, signer, trust):
    card = issue(session, holder)
    body = request_body(
        chip_of(signer, holder, card),
        holder.pid,
        attributes=["full_name", "permanent_address", "alive"],
    )
    data = EkycIn.model_validate(body)
    ctx = replace(context(data.attributes), consent_fields=frozenset({"permanent_address"}))
    with pytest.raises(DancuError) as caught:
        service.verify_customer(session, data, ctx=ctx, trust=trust)
    assert caught.value.code == "exchange.consent_required"
    body["attributes"] = ["full_name", "alive"]
    assert run(session, body, trust).result["attributes"] == {
        "alive": True,
        "full_name": "Trần Thị Bích",
    }


class _Matcher:
    def __call__(self, chip_face: bytes, live_photo: bytes) -> FaceResult:
        same = chip_face == live_photo
        return FaceResult("match" if same else "no_match", 0.97 if same else 0.12, "test-matcher")


def test_the_face_is_not_performed_by_default_and_never_scored(session, holder, signer, trust):
    card = issue(session, holder)
    chip = chip_of(signer, holder, card)
    body = request_body(chip, holder.pid, live_photo=base64.b64encode(b"selfie").decode())
    face = run(session, body, trust).result["checks"]["face"]
    assert face == {"status": "not_performed", "reason": "no_matcher_installed"}
    assert "score" not in face


def test_an_installed_face_matcher_answers_in_the_result(session, holder, signer, trust):
    card = issue(session, holder)
    chip = chip_of(signer, holder, card)
    body = request_body(chip, holder.pid, live_photo=base64.b64encode(chip.data_groups[2]).decode())
    face = run(session, body, trust, face=_Matcher()).result["checks"]["face"]
    assert face == {"status": "match", "score": 0.97, "matcher": "test-matcher"}


def test_jws_header_names_the_published_key(session):
    token = service.sign(session, {"x": 1})
    keys = service.jwks(session)
    assert jws.extract_compact(token.encode()).headers()["kid"] == keys["keys"][0]["kid"]


def test_a_lost_cards_chip_is_refused_though_its_replacement_carries_the_same_dg1(
    session, holder, signer, trust
):
    lost = issue(session, holder, on=date(2020, 1, 10))  # at 29: valid until 40
    lost_chip = chip_of(signer, holder, lost, signed_at=datetime(2020, 1, 8, tzinfo=UTC))
    cards.transition_card(session, lost.id, "report_lost", actor=SYSTEM_ACTOR)
    replacement = issue(session, holder, reason="replacement")
    assert replacement.expires_on == lost.expires_on  # the same DG1 on both chips
    new_chip = chip_of(signer, holder, replacement)
    assert new_chip.data_groups[1] == lost_chip.data_groups[1]
    refused(session, request_body(lost_chip, holder.pid), trust, "ekyc.card_superseded")
    assert run(session, request_body(new_chip, holder.pid), trust).verdict == "verified"
