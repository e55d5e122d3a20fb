"""Recovering an overpayment is a ledger: a record per payment made after the death, with
its amount and reason, moved flagged -> notified -> recovered or waived by named officers,
and counted by the figures."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR, Actor
from dancu.common.audit import AuditEntry
from dancu.common.errors import DancuError
from dancu.payments import figures, recovery
from dancu.payments.models import Instruction
from tests.payments import helpers as h


def test_a_death_opens_one_recovery_per_month_paid_after_it(overpaid: Session) -> None:
    rows = recovery.list_recoveries(overpaid, actor=h.CHECKER)
    assert [(r.month, r.amount, r.status, r.flagged_by) for r in rows] == [
        (h.FEB, 500_000, "flagged", SYSTEM_ACTOR.id),
        (h.MAR, 500_000, "flagged", SYSTEM_ACTOR.id),
    ]
    assert rows[0].reason == "paid for a month after the death on 2026-01-10"
    listed = overpaid.scalars(
        select(AuditEntry.subject_id).where(AuditEntry.action == "recovery.listed")
    ).all()
    assert listed == [rows[0].pid]


def test_notified_then_recovered_or_waived_by_named_officers(overpaid: Session) -> None:
    feb, mar = recovery.list_recoveries(overpaid, actor=h.CHECKER)
    notified = recovery.notify(overpaid, feb.id, actor=h.PREPARER, note="letter to the family")
    assert (notified.status, notified.notified_by) == ("notified", h.PREPARER.id)
    back = recovery.settle(overpaid, feb.id, "recovered", actor=h.CHECKER)
    assert (back.status, back.closed_by, back.note) == (
        "recovered",
        h.CHECKER.id,
        "letter to the family",
    )
    assert back.closed_at is not None and back.notified_at is not None
    with pytest.raises(DancuError) as twice:
        recovery.settle(overpaid, feb.id, "waived", actor=h.CHECKER, note="too late")
    assert twice.value.code == "payments.recovery_transition"
    with pytest.raises(DancuError) as no_reason:
        recovery.settle(overpaid, mar.id, "waived", actor=h.CHECKER)
    assert (no_reason.value.code, no_reason.value.field) == ("payments.reason_required", "note")
    waived = recovery.settle(overpaid, mar.id, "waived", actor=h.CHECKER, note="heir is poor")
    assert waived.status == "waived"
    mirror = dict(overpaid.execute(select(Instruction.month, Instruction.recovery)).all())
    assert mirror == {h.JAN: None, h.FEB: "recovered", h.MAR: "waived"}


def test_the_figures_count_the_ledger(overpaid: Session) -> None:
    feb, _ = recovery.list_recoveries(overpaid, actor=h.CHECKER)
    recovery.settle(overpaid, feb.id, "recovered", actor=h.CHECKER)
    rows = {r.month: r for r in figures.figures(overpaid, actor=h.CHECKER)}
    assert (rows[h.FEB].flagged, rows[h.FEB].recovered, rows[h.FEB].recovered_amount) == (
        0,
        1,
        500_000,
    )
    assert (rows[h.MAR].flagged, rows[h.MAR].recovered, rows[h.MAR].recovered_amount) == (1, 0, 0)


def test_a_commune_officer_or_another_province_cannot_move_a_recovery(overpaid: Session) -> None:
    feb, _ = recovery.list_recoveries(overpaid, actor=h.CHECKER)
    with pytest.raises(DancuError) as commune:
        recovery.notify(overpaid, feb.id, actor=h.officer())
    assert commune.value.code == "auth.permission"
    elsewhere = Actor(id="officer:hn", name="Hà Nội", roles=h.CHECKER.roles, units=("01",))
    with pytest.raises(DancuError) as far:
        recovery.notify(overpaid, feb.id, actor=elsewhere)
    assert far.value.code == "payments.recovery_not_found"
    assert recovery.list_recoveries(overpaid, actor=h.CHECKER)[0].status == "flagged"
