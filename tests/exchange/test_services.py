"""Exchange services without HTTP, on SQLite and PostgreSQL: minimisation, the check-in's
three ways in, consent, the message log, insurance import and linkage, access hygiene."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dancu.common.access import SYSTEM_ACTOR, Actor, Role
from dancu.common.errors import Forbidden, InvalidState, ValidationFailed
from dancu.db import utcnow
from dancu.exchange import door
from dancu.exchange import tasks as exchange_tasks
from dancu.exchange.checkin import service as checkin
from dancu.exchange.checkin.schemas import CheckinIn
from dancu.exchange.consent import service as consent
from dancu.exchange.consent.schemas import ConsentAskIn
from dancu.exchange.hygiene import service as hygiene
from dancu.exchange.insurance import service as insurance
from dancu.exchange.insurance.schemas import CardIn
from dancu.exchange.messagelog import service as messagelog
from dancu.exchange.messagelog.models import LogEntry
from dancu.exchange.partners import service as partners
from dancu.identity.chip.mrz import compose_td1
from dancu.identity.wallet import service as wallet
from dancu.registry import cards as registry_cards
from dancu.registry.models import Citizen
from dancu.registry.schemas import CardApplicationIn
from tests.exchange.conftest import FACILITY, Partner
from tests.registry.factories import person

ADMIN = Actor(id="admin:x", name="Admin", roles=frozenset({Role.PARTNER_ADMIN}))


def _actor(partner: Partner) -> Actor:
    return Actor(
        id=f"client:{partner.client_id}",
        name="Bệnh viện",
        roles=frozenset({Role.EXCHANGE_PARTNER}),
        purposes=frozenset({"health_checkin"}),
    )


def _ctx(session: Session, partner: Partner, fields=None):  # type: ignore[no-untyped-def]
    return partners.authorize(session, _actor(partner), "health_checkin", fields)


# -- minimisation ------------------------------------------------------------------------


def test_minimise_strips_every_field_outside_the_request(session, hospital):
    ctx = _ctx(session, hospital, ["full_name", "insurance_valid"])
    answer = partners.minimise(
        ctx,
        {
            "purpose": "health_checkin",
            "full_name": "A",
            "insurance_valid": True,
            "sex": "M",
            "pid": "066090000001",
            "permanent_address": "x",
            "religion": "y",
        },
    )
    assert answer == {"purpose": "health_checkin", "full_name": "A", "insurance_valid": True}


def test_consent_only_fields_survive_only_when_consented(session, hospital):
    ctx = _ctx(session, hospital, ["full_name", "permanent_address"])
    data = {"full_name": "A", "permanent_address": "x"}
    assert partners.minimise(ctx, data) == {"full_name": "A"}
    assert partners.minimise(ctx, data, consented={"permanent_address"}) == data


def test_the_door_minimises_what_a_careless_service_returns(session, hospital):
    actor = _actor(hospital)
    answer = door.serve(
        session,
        actor,
        door.Call("POST", "/test"),
        purpose="health_checkin",
        fields=["full_name"],
        work=lambda ctx: {"full_name": "A", "pid": "066090000001", "religion": "y"},
    )
    assert answer.status == 200
    assert set(answer.body) == {"full_name", "request_id"}


def test_an_unknown_field_and_a_foreign_field_are_refused(session, hospital):
    with pytest.raises(ValidationFailed) as unknown:
        _ctx(session, hospital, ["shoe_size"])
    assert unknown.value.code == "exchange.field_unknown"
    with pytest.raises(Forbidden) as foreign:
        _ctx(session, hospital, ["ethnicity"])
    assert foreign.value.code == "exchange.field_not_allowed"


def test_a_purpose_never_carries_fields_outside_its_catalogue(session):
    from dancu.exchange.partners.schemas import PartnerIn, PurposeIn

    data = PartnerIn(
        code="bv-tham",
        name="Tham",
        kind="hospital",
        purposes=[PurposeIn(purpose="health_checkin", fields=["full_name", "religion"])],
    )
    with pytest.raises(ValidationFailed) as exc:
        partners.register_partner(session, data, actor=SYSTEM_ACTOR)
    assert exc.value.code == "exchange.field_not_allowed"


def test_managing_partners_needs_the_permission(session):
    from dancu.exchange.partners.schemas import PartnerIn

    clerk = Actor(id="c", name="Clerk", roles=frozenset({Role.REGISTRY_CLERK}))
    with pytest.raises(Forbidden):
        partners.register_partner(
            session, PartnerIn(code="x-1", name="Ngân hàng X", kind="bank"), actor=clerk
        )


# -- the check-in's three ways in ------------------------------------------------------


def _card(session: Session, citizen: Citizen):  # type: ignore[no-untyped-def]
    card = registry_cards.apply_for_card(
        session, CardApplicationIn(pid=citizen.pid), actor=SYSTEM_ACTOR, today=date(2026, 1, 15)
    )
    return card


def test_check_in_by_mrz(session, hospital, patient):
    zone = compose_td1(
        document_number=patient.pid,
        birth_date=patient.birth_date,
        sex="F",
        expiry_date=date(2045, 3, 9),
        family_name="Trần",
        given_names="Thị Bình",
    )
    answer = checkin.check_in(session, _ctx(session, hospital), CheckinIn(mrz=zone))
    assert answer["full_name"] == "Trần Thị Bình" and answer["insurance_valid"] is True
    by_scan = checkin.check_in(session, _ctx(session, hospital), CheckinIn(scan=zone))
    assert by_scan["full_name"] == "Trần Thị Bình"


def test_an_mrz_whose_birth_date_differs_is_refused(session, hospital, patient):
    zone = compose_td1(
        document_number=patient.pid,
        birth_date=date(1985, 3, 10),
        sex="F",
        expiry_date=date(2045, 3, 9),
        family_name="Trần",
        given_names="Thị Bình",
    )
    with pytest.raises(ValidationFailed) as exc:
        checkin.check_in(session, _ctx(session, hospital), CheckinIn(mrz=zone))
    assert exc.value.code == "exchange.subject_unknown"


def test_check_in_by_wallet_qr(session, hospital, patient):
    from dancu.identity.accounts.models import Account

    account = Account(
        citizen_pid=patient.pid,
        display_name=patient.full_name,
        level=2,
        status="active",
        province_code="66",
        commune_code=patient.commune_code,
    )
    session.add(account)
    session.flush()
    claims = {
        "full_name": patient.full_name,
        "birth_date": "1985-03-09",
        "personal_id": patient.pid,
    }
    doc = wallet.issue_document(
        session, account.id, "health_insurance_card", claims, actor=wallet.WALLET_ISSUER_ACTOR
    )
    answer = checkin.check_in(session, _ctx(session, hospital), CheckinIn(qr=doc.sd_jwt))
    assert answer["full_name"] == patient.full_name
    with pytest.raises(ValidationFailed) as exc:
        checkin.check_in(session, _ctx(session, hospital), CheckinIn(qr=doc.sd_jwt[:-5] + "xxxxx"))
    assert exc.value.code == "exchange.scan_unreadable"


def test_the_card_is_not_valid_at_another_facility(session, patient):
    from tests.exchange.conftest import make_partner

    other = make_partner(session, "bv-khac", facility="66999")
    answer = checkin.check_in(session, _ctx(session, other), CheckinIn(pid=patient.pid))
    assert answer["insurance_valid"] is False


def test_check_ins_are_counted_per_facility_and_day(session, hospital, patient):
    for _ in range(3):
        checkin.check_in(session, _ctx(session, hospital), CheckinIn(pid=patient.pid))
    steering = Actor(id="s", name="S", roles=frozenset({Role.STEERING_VIEWER}))
    counts = checkin.day_counts(session, actor=steering, since=date.today() - timedelta(days=1))
    mine = [c for c in counts if c.facility_name == "Bệnh viện bv-tinh"]
    assert [(c.checkins, c.insured) for c in mine] == [(3, 3)]


# -- consent ---------------------------------------------------------------------------


def test_consent_approve_then_revoke_takes_effect_at_once(session, hospital, patient):
    ask_ctx = _ctx(session, hospital, ["permanent_address"])
    receipt = consent.ask(
        session,
        ask_ctx,
        ConsentAskIn(
            pid=patient.pid,
            purpose="health_checkin",
            fields=["permanent_address"],
            reason="Gửi kết quả xét nghiệm về nhà",
            days=30,
        ),
    )
    assert receipt.status == "pending"
    asking = _ctx(session, hospital, ["full_name", "permanent_address"])
    with pytest.raises(Forbidden) as exc:
        checkin.check_in(session, asking, CheckinIn(pid=patient.pid))
    assert exc.value.code == "exchange.consent_required"
    citizen = Actor(id="account:1", name=patient.full_name)
    approved = consent.decide(session, patient.pid, receipt.id, approve=True, actor=citizen)
    assert approved.status == "approved" and approved.valid_until is not None
    answer = checkin.check_in(session, asking, CheckinIn(pid=patient.pid))
    assert answer["permanent_address"].startswith("12 Lê Duẩn")
    consent.revoke(session, patient.pid, receipt.id, actor=citizen)
    with pytest.raises(Forbidden):
        checkin.check_in(session, asking, CheckinIn(pid=patient.pid))
    with pytest.raises(InvalidState):
        consent.decide(session, patient.pid, receipt.id, approve=True, actor=citizen)


def test_a_citizen_answers_only_their_own_requests(session, hospital, patient):
    receipt = consent.ask(
        session,
        _ctx(session, hospital, ["permanent_address"]),
        ConsentAskIn(
            pid=patient.pid,
            purpose="health_checkin",
            fields=["permanent_address"],
            reason="Lý do",
            days=5,
        ),
    )
    stranger = person(session, "Lê Văn Khác")
    with pytest.raises(Exception) as exc:
        consent.decide(session, stranger.pid, receipt.id, approve=True, actor=ADMIN)
    assert getattr(exc.value, "code", "") == "exchange.consent_not_found"


# -- the message log -------------------------------------------------------------------


def _logged(session: Session, n: int, actor: Actor) -> None:
    for i in range(n):
        messagelog.append(
            session,
            request_id=f"r{i}",
            client_id="c",
            partner_code="p",
            purpose="health_checkin",
            method="POST",
            path="/api/exchange/checkin",
            status=200,
            code="ok",
            fields=["full_name"],
            request_digest=messagelog.digest(b"q"),
            response_digest=messagelog.digest({"i": i}),
        )


def test_the_message_log_is_chained_signed_and_verifies_offline(session):
    _logged(session, 3, SYSTEM_ACTOR)
    assert messagelog.seal(session) == 3
    _logged(session, 2, SYSTEM_ACTOR)
    assert messagelog.seal(session) == 2
    document = json.loads(json.dumps(messagelog.export(session, actor=SYSTEM_ACTOR)))
    verdict = messagelog.verify(document)
    assert (verdict.ok, verdict.entries, verdict.signed_up_to, verdict.unsigned) == (True, 5, 5, 0)


def test_a_changed_entry_or_a_forged_checkpoint_is_found(session):
    _logged(session, 4, SYSTEM_ACTOR)
    messagelog.seal(session)
    document = messagelog.export(session, actor=SYSTEM_ACTOR)
    changed = json.loads(json.dumps(document))
    changed["entries"][1]["fields"] = ["full_name", "permanent_address"]
    verdict = messagelog.verify(changed)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 2)
    dropped = json.loads(json.dumps(document))
    del dropped["entries"][2]
    assert messagelog.verify(dropped).first_bad_seq == 3
    forged = json.loads(json.dumps(document))
    forged["checkpoints"][0]["signature"] = forged["checkpoints"][0]["signature"][:-4] + "AAAA"
    assert messagelog.verify(forged).ok is False


def test_verify_log_command_reads_an_export(session, tmp_path):
    _logged(session, 2, SYSTEM_ACTOR)
    messagelog.seal(session)
    path = tmp_path / "log.json"
    path.write_text(json.dumps(messagelog.export(session, actor=SYSTEM_ACTOR)))
    from dancu.cli import app

    ok = CliRunner().invoke(app, ["exchange", "verify-log", str(path)])
    assert ok.exit_code == 0, ok.output
    assert "ok: 2 entries" in ok.output
    document = json.loads(path.read_text())
    document["entries"][0]["status"] = 403
    path.write_text(json.dumps(document))
    bad = CliRunner().invoke(app, ["exchange", "verify-log", str(path)])
    assert bad.exit_code == 1 and "exchange.log_broken" in bad.output


# -- insurance cards -------------------------------------------------------------------


def _insured(citizen: Citizen, number: str, *, with_pid: bool) -> CardIn:
    return CardIn(
        card_number=number,
        pid=citizen.pid if with_pid else None,
        full_name=citizen.full_name,
        birth_date=citizen.birth_date,
        sex=citizen.sex,
        commune_code=citizen.commune_code,
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
        facility_code=FACILITY,
        facility_name="BV",
        benefit_level=3,
    )


def test_cards_link_by_id_number_then_without_it_and_the_rate_is_a_figure(session):
    people = [
        person(session, n, birth_date=date(1970 + i, 1 + i, 2 + i))
        for i, n in enumerate(
            ["Nguyễn Văn Một", "Lê Thị Hai", "Phạm Văn Ba", "Hoàng Thị Bốn", "Vũ Văn Năm"]
        )
    ]
    cards = [_insured(p, f"HC4660000000{i:03d}", with_pid=i < 3) for i, p in enumerate(people)]
    stranger = CardIn(
        **{
            **cards[0].model_dump(),
            "card_number": "HC4669999999999",
            "pid": None,
            "full_name": "Không Có Ai",
            "birth_date": date(1901, 1, 1),
        }
    )
    out = insurance.import_cards(session, [*cards, stranger], source="api", actor=SYSTEM_ACTOR)
    assert out.stored == 6
    metrics = insurance.link_cards(session, "66", actor=SYSTEM_ACTOR)
    assert metrics["linked"] == 5
    rate = insurance.sync_rate(session, actor=ADMIN)
    assert (rate.cards, rate.linked) == (6, 5)
    assert (
        rate.by_method["id"] == 3
        and rate.by_method.get("exact", 0) + rate.by_method.get("probabilistic", 0) == 2
    )
    card = insurance.current_card(session, people[4].pid)
    assert card is not None and card.card_number == "HC4660000000004"


def test_a_file_import_reports_bad_rows(session):
    citizen = person(session, "Đỗ Văn Sáu")
    csv = (
        "ma_the,so_cccd,ho_ten,ngay_sinh,gioi_tinh,ma_xa,gt_the_tu,gt_the_den,"
        "ma_kcb,ten_kcb,muc_huong\n"
        f"GD4660000000777,{citizen.pid},Đỗ Văn Sáu,1990-05-17,M,{citizen.commune_code},"
        "2026-01-01,2026-12-31,66001,BV,4\n"
        "BAD,,Ai Đó,,,,2026-01-01,2026-12-31,66001,BV,9\n"
    ).encode()
    out = insurance.import_file(session, csv, "csv", actor=ADMIN)
    assert (out.received, out.stored) == (2, 1)
    assert out.problems[0]["line"] == 3 and out.problems[0]["field"] == "card_number"
    with pytest.raises(ValidationFailed) as exc:
        insurance.import_file(session, b"a,b\n1,2\n", "csv", actor=ADMIN)
    assert exc.value.code == "exchange.import_file"


def test_the_birth_procedures_request_issues_the_newborns_card(session, hospital):
    baby = person(session, "Nguyễn Bé Na", birth_date=date(2026, 1, 2), sex="F")
    exchange_tasks.on_insurance_card_requested(session, {"pid": baby.pid})
    card = insurance.current_card(session, baby.pid)
    assert card is not None
    assert card.card_number.startswith("TE1") and card.facility_code == FACILITY
    assert (card.valid_from, card.valid_to) == (date(2026, 1, 2), date(2032, 1, 1))
    assert exchange_tasks.events.INSURANCE_CARD_REQUESTED == "procedures.insurance_card_requested"


# -- access hygiene --------------------------------------------------------------------


def test_holders_are_listed_flagged_and_suspended(session, hospital):
    from dancu.exchange.partners.models import Credential

    session.execute(
        update(Credential)
        .where(Credential.client_id == hospital.client_id)
        .values(issued_at=utcnow() - timedelta(days=200))
    )
    found = {h.holder_id: h for h in hygiene.holders(session, actor=ADMIN)}
    holder = found[f"client:{hospital.client_id}"]
    assert holder.kind == "partner" and "dormant" in holder.flags
    assert holder.scope == ["health_checkin"]
    hygiene.suspend(session, holder.holder_id, actor=ADMIN)
    again = {h.holder_id for h in hygiene.holders(session, actor=ADMIN)}
    assert holder.holder_id not in again
    with pytest.raises(Forbidden):
        hygiene.suspend(session, "account:1", actor=ADMIN)  # an officer: the administrator


def test_the_quarterly_review_lists_every_holder_once(session, hospital):
    campaign = hygiene.open_review(session, actor=ADMIN)
    assert hygiene.open_review(session, actor=ADMIN).id == campaign.id
    review = hygiene.current_review(session, actor=ADMIN)
    assert review is not None
    items = [i for i in review["items"] if i.holder_id == f"client:{hospital.client_id}"]
    assert len(items) == 1
    hygiene.decide(session, items[0].id, "keep", actor=ADMIN)
    with pytest.raises(InvalidState):
        hygiene.decide(session, items[0].id, "suspend", actor=ADMIN)


def test_the_message_log_refuses_changes_and_deletions(session):
    from sqlalchemy import delete
    from sqlalchemy.exc import DBAPIError

    _logged(session, 1, SYSTEM_ACTOR)
    messagelog.seal(session)
    for statement in (update(LogEntry).values(status=500), delete(LogEntry)):
        with pytest.raises(DBAPIError), session.begin_nested():
            session.execute(statement)
    assert session.scalars(select(LogEntry)).one().status == 200


def test_officers_with_access_are_listed_flagged_and_suspended_by_the_administrator(session):
    from dancu.identity.accounts import officers
    from tests.identity import helpers

    officer = helpers.active_account(session, helpers.citizen(session, "Cán Bộ Một"))
    officers.grant_role(
        session, officer, Role.REGISTRY_CLERK, "", organization="Sở Tư pháp", actor=SYSTEM_ACTOR
    )
    found = {h.holder_id: h for h in hygiene.holders(session, actor=ADMIN)}
    holder = found[f"account:{officer.id}"]
    assert holder.kind == "officer" and holder.unit == "Sở Tư pháp"
    assert holder.scope == ["registry_clerk@*"] and "over_privileged" in holder.flags  # nationwide
    with pytest.raises(Forbidden):
        hygiene.suspend(session, holder.holder_id, actor=ADMIN)
    admin = Actor(id="admin:root", name="Root", roles=frozenset({Role.SYSTEM}))
    hygiene.suspend(session, holder.holder_id, actor=admin)
    assert officers.live_roles(session, officer.id) == []
    assert f"account:{officer.id}" not in {
        h.holder_id for h in hygiene.holders(session, actor=admin)
    }
