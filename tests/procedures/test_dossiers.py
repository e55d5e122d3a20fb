"""Dossiers on SQLite and PostgreSQL: the workflow, and every bad input refused with its
code and nothing half-written."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR, Role
from dancu.common.errors import DancuError
from dancu.common.outbox import OutboxEvent
from dancu.identity.accounts import messages, officers
from dancu.identity.accounts import service as accounts
from dancu.procedures import console, events, figures, files, tasks
from dancu.procedures import service as dossiers
from dancu.procedures.files import Upload
from dancu.procedures.models import Dossier, DossierFile
from dancu.procedures.schemas import FeeOptions
from tests.conftest import COMMUNE, OTHER_PROVINCE_COMMUNE
from tests.procedures.helpers import PDF, TODAY, citizen_with_account, key, leader, officer, pdf


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _submitted(session: Session, **kw: object) -> tuple[Dossier, object]:
    _c, applicant = citizen_with_account(session, **kw)  # type: ignore[arg-type]
    dossier = dossiers.save(
        session,
        applicant,
        "1.004873",
        {"purpose": "Kết hôn"},
        [],
        key=key(),
        submit=True,
        today=TODAY,
    )
    return dossier, applicant


def _refused(code: str, call, *args, **kwargs) -> DancuError:  # type: ignore[no-untyped-def]
    with pytest.raises(DancuError) as err:
        call(*args, **kwargs)
    assert err.value.code == code, err.value
    return err.value


def test_double_submit_returns_the_same_dossier(session: Session) -> None:
    _c, applicant = citizen_with_account(session)
    same = key()
    args = (session, applicant, "1.004873", {"purpose": "Kết hôn"}, [])
    first = dossiers.save(*args, key=same, submit=True, today=TODAY)
    again = dossiers.save(*args, key=same, submit=True, today=TODAY)
    assert again.id == first.id and again.code == first.code
    assert _count(session, Dossier) == 1
    _refused(
        "idempotency.key_reused",
        dossiers.save,
        session,
        applicant,
        "2.000815",
        {"copies": "1"},
        [],
        key=same,
        submit=True,
        today=TODAY,
    )


def test_draft_then_resume_then_submit(session: Session) -> None:
    _c, applicant = citizen_with_account(session)
    draft_key = key()
    draft = dossiers.save(session, applicant, "1.004873", {}, [], key=draft_key, today=TODAY)
    assert draft.status == "draft" and draft.code is None
    assert dossiers.draft_for(session, applicant, "1.004873").id == draft.id  # type: ignore[union-attr]
    done = dossiers.save(
        session,
        applicant,
        "1.004873",
        {"purpose": "Xin việc"},
        [],
        key=draft_key,
        submit=True,
        today=TODAY,
    )
    assert done.id == draft.id and done.status == "submitted"
    assert done.due_on == date(2026, 3, 5)  # 3 working days after Monday 2 March


def test_missing_field_and_bad_field_write_nothing(session: Session) -> None:
    _c, applicant = citizen_with_account(session)
    err = _refused(
        "procedures.field_required",
        dossiers.save,
        session,
        applicant,
        "1.004873",
        {"purpose": " "},
        [],
        key=key(),
        submit=True,
        today=TODAY,
    )
    assert err.field == "purpose"
    _refused(
        "procedures.field_invalid",
        dossiers.save,
        session,
        applicant,
        "1.000894",
        {"spouse_pid": "12345"},
        [],
        key=key(),
        submit=True,
        today=TODAY,
    )
    assert _count(session, Dossier) == 0


def test_files_checked_by_content_and_size(session: Session, upload_dir) -> None:  # type: ignore[no-untyped-def]
    _c, applicant = citizen_with_account(session, card=False)
    exe = Upload("id_card", "cccd.pdf", b"MZ\x90\x00" + b"\0" * 100)
    _refused(
        "procedures.file_type",
        dossiers.save,
        session,
        applicant,
        "1.004873",
        {"purpose": "Kết hôn"},
        [exe],
        key=key(),
        submit=True,
        today=TODAY,
    )
    big = Upload("id_card", "cccd.pdf", PDF + b"\0" * (5 * 1024 * 1024))
    _refused(
        "procedures.file_too_large",
        dossiers.save,
        session,
        applicant,
        "1.004873",
        {"purpose": "Kết hôn"},
        [big],
        key=key(),
        submit=True,
        today=TODAY,
    )
    _refused("procedures.file_empty", files.check, Upload("id_card", "x.pdf", b""))
    assert _count(session, Dossier) == 0 and _count(session, DossierFile) == 0
    assert not upload_dir.exists() or not any(upload_dir.rglob("*"))
    ok = dossiers.save(
        session,
        applicant,
        "1.004873",
        {"purpose": "Kết hôn"},
        [pdf("id_card")],
        key=key(),
        submit=True,
        today=TODAY,
    )
    stored = session.scalars(select(DossierFile)).one()
    assert files.path_of(stored.sha256).read_bytes() == PDF and ok.status == "submitted"


def test_a_level_two_procedure_needs_level_two(session: Session) -> None:
    _c, applicant = citizen_with_account(session)
    _refused(
        "procedures.level_required",
        dossiers.save,
        session,
        applicant,
        "2.000488",
        {"certificate_kind": "1"},
        [],
        key=key(),
        submit=True,
        today=TODAY,
    )


def test_officer_outside_unit_or_agency_or_lock(session: Session) -> None:
    dossier, _applicant = _submitted(session)
    code = dossier.code or ""
    _refused(
        "procedures.dossier_not_found",
        console.lock,
        session,
        officer(units=(OTHER_PROVINCE_COMMUNE,)),
        code,
    )
    _refused("procedures.wrong_agency", console.lock, session, officer(Role.POLICE), code)
    first, second = officer(name="Một"), replace(officer(name="Hai"), id="officer:two")
    console.lock(session, first, code)
    _refused("procedures.locked", console.approve, session, second, code, today=TODAY)
    console.release(session, first, code)
    console.approve(session, second, code, today=TODAY)
    assert dossier.status == "approved"
    _refused("procedures.transition", console.approve, session, second, code, today=TODAY)


def test_supplement_stops_the_clock_and_a_withdrawn_dossier_cannot_answer(
    session: Session,
) -> None:
    dossier, applicant = _submitted(session)
    code = dossier.code or ""
    clerk = officer()
    _refused("procedures.reason_required", console.request_supplement, session, clerk, code, " ")
    console.start(session, clerk, code)
    console.request_supplement(session, clerk, code, "Thiếu ảnh", today=date(2026, 3, 3))
    assert dossier.status == "supplement" and dossier.locked_by is None
    due = dossier.due_on
    dossiers.answer_supplement(
        session,
        applicant,
        code,
        [pdf("id_card")],  # type: ignore[arg-type]
        today=date(2026, 3, 10),
    )
    assert dossier.status == "processing"
    assert due == date(2026, 3, 5) and dossier.due_on == date(2026, 3, 12)  # 5 days stopped
    console.request_supplement(session, clerk, code, "Thiếu bản sao", today=date(2026, 3, 10))
    dossiers.withdraw(session, applicant, code)  # type: ignore[arg-type]
    _refused(
        "procedures.withdrawn",
        dossiers.answer_supplement,
        session,
        applicant,
        code,
        [pdf("id_card")],
    )


def test_reject_with_reason_and_rate_once(session: Session) -> None:
    dossier, applicant = _submitted(session)
    code = dossier.code or ""
    _refused("procedures.transition", dossiers.rate, session, applicant, code, 5)
    console.reject(session, officer(), code, "Không đủ điều kiện")
    assert dossier.status == "rejected" and dossier.reason == "Không đủ điều kiện"
    _refused("procedures.rating_invalid", dossiers.rate, session, applicant, code, 6)
    dossiers.rate(session, applicant, code, 4, "Nhanh")  # type: ignore[arg-type]
    _refused("procedures.rating_twice", dossiers.rate, session, applicant, code, 5)


def test_mark_paid_checks_dossier_and_amount(session: Session) -> None:
    _c, applicant = citizen_with_account(session)
    dossier = dossiers.save(
        session,
        applicant,
        "2.000815",
        {"copies": "3"},
        [pdf("original")],
        key=key(),
        submit=True,
        today=TODAY,
    )
    assert dossier.fee_amount == 6000 and dossier.fee_state == "unpaid"
    system = officer(Role.SYSTEM, units=())
    code = dossier.code or ""
    _refused(
        "procedures.dossier_not_found",
        dossiers.mark_paid,
        session,
        "00000-000000-000000",
        6000,
        "ref-1",
        actor=system,
    )
    _refused(
        "procedures.payment_amount", dossiers.mark_paid, session, code, 5000, "ref-1", actor=system
    )
    dossiers.mark_paid(session, code, 6000, "ref-1", actor=system)
    assert dossier.fee_state == "paid" and dossier.paid_amount == 6000
    assert dossiers.mark_paid(session, code, 6000, "ref-1", actor=system).id == dossier.id
    _refused(
        "procedures.payment_not_due", dossiers.mark_paid, session, code, 6000, "ref-2", actor=system
    )


def test_fees_with_choices_reductions_and_exemptions() -> None:
    from dancu.procedures import catalogue

    crim = catalogue.get("2.000488")
    assert dossiers.fee_for(crim, FeeOptions(), channel="online", form={}) == 200000
    assert (
        dossiers.fee_for(crim, FeeOptions(reduction="student"), channel="online", form={}) == 100000
    )
    assert dossiers.fee_for(crim, FeeOptions(reduction="child"), channel="online", form={}) == 0
    assert (
        dossiers.fee_for(crim, FeeOptions(choices=["extra_copy"]), channel="online", form={})
        == 205000
    )
    residence = catalogue.get("1.004194")
    assert dossiers.fee_for(residence, FeeOptions(), channel="online", form={}) == 10000
    assert dossiers.fee_for(residence, FeeOptions(), channel="counter", form={}) == 20000


def test_every_change_notifies_the_citizen(session: Session) -> None:
    dossier, _applicant = _submitted(session)
    payloads = [
        e.payload
        for e in session.scalars(select(OutboxEvent))
        if e.topic == events.DOSSIER_STATUS_CHANGED
    ]
    assert [p["status"] for p in payloads] == ["submitted"]
    tasks.on_status_changed(session, payloads[0])
    sent = [m for m in messages.latest(session, limit=10) if dossier.code in m.body]
    assert {m.channel for m in sent} == {"sms", "email"}
    assert "Hẹn trả kết quả" in sent[0].body


def test_escalation_marks_a_late_step_once(session: Session) -> None:
    dossier, _applicant = _submitted(session)
    assert console.escalate_overdue(session, today=date(2026, 3, 5)) == 0
    assert console.escalate_overdue(session, today=date(2026, 3, 20)) == 1
    assert console.escalate_overdue(session, today=date(2026, 3, 21)) == 0
    queue = console.queue(session, officer(), today=date(2026, 3, 20))
    assert [i.late for i in queue.items] == [True]
    console.approve(session, officer(), dossier.code or "", today=date(2026, 3, 20))
    assert dossier.on_time is False


def test_assign_needs_a_leader(session: Session) -> None:
    dossier, _applicant = _submitted(session)
    _c, clerk = citizen_with_account(session, "Lý Văn Nhận")
    account = accounts.get(session, clerk.account_id or 0)
    officers.grant_role(session, account, Role.PROCEDURE_OFFICER, COMMUNE, actor=SYSTEM_ACTOR)
    officer_id = f"account:{account.id}"
    _refused("auth.permission", console.assign, session, officer(), dossier.code, officer_id)
    console.assign(session, leader(), dossier.code or "", officer_id)
    assert dossier.assigned_to == officer_id


def test_figures_per_unit(session: Session) -> None:
    dossier, applicant = _submitted(session)
    console.approve(session, officer(), dossier.code or "", today=TODAY)
    dossiers.rate(session, applicant, dossier.code or "", 5)  # type: ignore[arg-type]
    out = figures.figures(
        session, officer(), unit=COMMUNE, period_from=date(2020, 1, 1), period_to=date(2030, 1, 1)
    )
    assert out.dossiers_total == 1 and out.dossiers_by_channel == {"online": 1}
    assert out.decided_on_time == 1 and out.results_digitized == 1 and out.satisfaction == 5
    assert out.components_reused == 2 and out.components_total == 3
    _refused(
        "procedures.outside_unit",
        figures.figures,
        session,
        officer(),
        unit="01",
        period_from=date(2020, 1, 1),
        period_to=date(2030, 1, 1),
    )
