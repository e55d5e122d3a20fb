"""The vertical slice: enrol and approve, build and approve a cycle, bank file, death."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dancu.common import outbox
from dancu.common.access import SYSTEM_ACTOR
from dancu.common.audit import AuditEntry
from dancu.common.errors import DancuError
from dancu.payments import (
    beneficiaries,
    cycles,
    disbursement,
    events,
    iso20022,
    programmes,
    reconcile,
    tasks,
)
from dancu.payments.models import Beneficiary, Instruction
from dancu.payments.simulated import BankNetwork
from dancu.registry import civil_status
from dancu.registry.schemas import DeathIn, ResidenceChangeIn
from tests.conftest import PROVINCE
from tests.payments import helpers as h


def test_levels_are_data_with_dates(programmed: Session) -> None:
    social = programmes.get_programme(programmed, programmes.SOCIAL)
    assert programmes.level_on(programmed, social.id, date(2021, 6, 1)) == 270_000
    assert programmes.level_on(programmed, social.id, date(2021, 7, 1)) == 360_000
    assert programmes.level_on(programmed, social.id, date(2024, 6, 1)) == 360_000
    assert programmes.level_on(programmed, social.id, date(2024, 7, 1)) == 500_000
    assert programmes.amount_for(500_000, 1500) == 750_000
    programmes.ensure_programmes(programmed)  # idempotent
    assert len(programmed.scalars(select(Beneficiary)).all()) == 0


def test_a_month_is_built_approved_and_paid_by_bank(programmed: Session) -> None:
    session = programmed
    a, b = h.elder(session), h.elder(session, "Lê Văn Cường")
    h.enrol(session, a)
    h.enrol(session, b, bank=False)
    cycle = cycles.prepare_cycle(session, programmes.SOCIAL, PROVINCE, h.JAN, actor=h.PREPARER)
    assert (cycle.count, cycle.amount, cycle.bank) == (2, 1_000_000, 1)
    again = cycles.prepare_cycle(session, programmes.SOCIAL, PROVINCE, h.JAN, actor=h.PREPARER)
    assert (again.id, again.count) == (cycle.id, 2)  # idempotent
    with pytest.raises(DancuError) as same:
        cycles.approve_cycle(session, cycle.id, actor=h.PREPARER)
    assert same.value.code == "payments.same_officer"
    assert cycles.approve_cycle(session, cycle.id, actor=h.CHECKER).status == "approved"
    files = disbursement.bank_files(
        session, cycle.id, actor=h.PREPARER, execution_date=date(2026, 1, 20)
    )
    assert [(f.kind, f.bank_code, f.lines) for f in files] == [("pain.001", h.BANK, 1)]
    assert disbursement.bank_files(session, cycle.id, actor=h.PREPARER) == []  # nothing twice
    _, content = disbursement.file_content(session, files[0].id, actor=h.PREPARER)
    iso20022.validate(content.encode(), iso20022.PAIN_001)
    report, notice = BankNetwork().execute(content.encode(), booked_on=date(2026, 1, 20))
    assert reconcile.import_status_report(session, report, actor=h.PREPARER).matched == 1
    assert reconcile.import_notification(session, notice, actor=h.PREPARER).matched == 1
    paid = session.scalars(select(Instruction).where(Instruction.pid == a.pid)).one()
    assert (paid.status, paid.paid_on, paid.amount) == ("paid", date(2026, 1, 20), 500_000)


def test_a_death_stops_the_next_cycle_and_flags_an_overpayment(
    programmed: Session, factory: sessionmaker[Session]
) -> None:
    session = programmed
    tasks.subscribe()
    a, b = h.elder(session), h.elder(session, "Lê Văn Cường")
    h.enrol(session, a)
    h.enrol(session, b)
    for month in (h.JAN, h.FEB):
        h.pay_month(session, month)
    civil_status.register_death(
        session, DeathIn(pid=a.pid, death_date=date(2026, 1, 10)), actor=SYSTEM_ACTOR
    )
    session.commit()  # a savepoint release; the handlers run as after a real commit
    assert outbox.dispatch_pending(factory) >= 1
    session.expire_all()
    feb = session.scalars(
        select(Instruction).where(Instruction.pid == a.pid, Instruction.month == h.FEB)
    ).one()
    assert (feb.status, feb.recovery) == ("paid", "flagged")
    jan = session.scalars(
        select(Instruction).where(Instruction.pid == a.pid, Instruction.month == h.JAN)
    ).one()
    assert jan.recovery is None  # paid for the month of the death: due
    march = cycles.prepare_cycle(session, programmes.SOCIAL, PROVINCE, h.MAR, actor=h.PREPARER)
    pids = set(session.scalars(select(Instruction.pid).where(Instruction.cycle_id == march.id)))
    assert pids == {b.pid}
    status = {
        r.programme_id: r.status
        for r in session.scalars(select(Beneficiary).where(Beneficiary.pid == a.pid))
    }
    funeral = programmes.get_programme(session, programmes.FUNERAL).id
    social = programmes.get_programme(session, programmes.SOCIAL).id
    assert status == {social: "suspended", funeral: "active"}  # the funeral allowance opened
    entries = session.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == a.pid)).all()
    assert "beneficiary.death" in entries and "citizen.bulk_read" not in entries


def test_a_move_puts_the_beneficiary_on_the_new_communes_list(
    programmed: Session, factory: sessionmaker[Session]
) -> None:
    tasks.subscribe()
    a = h.elder(programmed)
    h.enrol(programmed, a)
    civil_status.register_residence_change(
        programmed,
        ResidenceChangeIn(
            pid=a.pid,
            moved_on=date(2026, 1, 5),
            commune_code="22015",
            address_detail="5 Hùng Vương",
        ),
        actor=SYSTEM_ACTOR,
        today=h.TODAY,
    )
    programmed.commit()
    assert outbox.dispatch_pending(factory) >= 1
    programmed.expire_all()
    row = programmed.scalars(select(Beneficiary)).one()
    assert (row.commune_code, row.province_code, row.status) == ("22015", "66", "active")
    old, _ = beneficiaries.list_beneficiaries(programmed, actor=h.officer())
    new, _ = beneficiaries.list_beneficiaries(programmed, actor=h.officer(commune="22015"))
    assert (old, [b.pid for b in new]) == ([], [a.pid])


@pytest.mark.parametrize("procedure_first", [False, True])
def test_the_funeral_allowance_opens_once_from_either_event(
    programmed: Session, factory: sessionmaker[Session], procedure_first: bool
) -> None:
    tasks.subscribe()
    a = h.elder(programmed)
    h.enrol(programmed, a)
    # the payload procedures.bundles really emits from the inter-connected death procedure
    died = {"dossier": "X", "deceased_pid": a.pid, "death_date": "2026-01-10"}
    if procedure_first:
        outbox.emit(programmed, events.FUNERAL_ALLOWANCE_OPENED, died)
    civil_status.register_death(
        programmed, DeathIn(pid=a.pid, death_date=date(2026, 1, 10)), actor=SYSTEM_ACTOR
    )
    if not procedure_first:
        outbox.emit(programmed, events.FUNERAL_ALLOWANCE_OPENED, died)
    programmed.commit()
    assert outbox.dispatch_pending(factory) == 2
    funeral = programmes.get_programme(programmed, programmes.FUNERAL).id
    rows = programmed.scalars(
        select(Beneficiary).where(Beneficiary.programme_id == funeral, Beneficiary.pid == a.pid)
    ).all()
    assert len(rows) == 1 and rows[0].source == ("procedure" if procedure_first else "death_event")
    cycle = cycles.prepare_cycle(programmed, programmes.FUNERAL, PROVINCE, h.FEB, actor=h.PREPARER)
    assert (cycle.count, cycle.amount) == (1, 20 * 500_000)
    again = cycles.prepare_cycle(programmed, programmes.FUNERAL, PROVINCE, h.MAR, actor=h.PREPARER)
    assert again.count == 0  # a one-off allowance is paid once
