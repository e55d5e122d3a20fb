"""Recovering an overpayment: a ledger, not a flag.

A payment made for a month after the beneficiary's death opens one ``Recovery`` (unique per
instruction) for its amount, with the reason. It moves flagged -> notified (the family or
the bank was asked to return the money) -> recovered (the money is back) or waived (given
up, with the reason), each step by an officer of the province, recorded with who and when,
audited, and as one ``UPDATE ... WHERE status IN (...)`` so two officers cannot both move
it. ``Instruction.recovery`` mirrors the status for the lists; the figures count the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit
from dancu.common.access import Actor, Permission
from dancu.common.errors import InvalidState, NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.payments import area
from dancu.payments import repository as repo
from dancu.payments.errors import PaymentsErrorCode
from dancu.payments.models import Instruction, Recovery
from dancu.payments.schemas import RecoveryOut

Outcome = Literal["recovered", "waived"]
OPEN = ("flagged", "notified")
STATUSES = ("flagged", "notified", "recovered", "waived")
_FROM: dict[str, tuple[str, ...]] = {
    "notified": ("flagged",),
    "recovered": OPEN,
    "waived": OPEN,
}


def death_reason(death_date: date) -> str:
    return f"paid for a month after the death on {death_date}"


def open_for(
    session: Session, instructions: Sequence[Instruction], reason: str, *, by: str
) -> list[int]:
    """Open a recovery for each instruction that has none; their ids (those opened now)."""
    fresh = [i for i in instructions if i.recovery is None]
    now = utcnow()
    rows = [
        {
            "instruction_id": i.id,
            "pid": i.pid,
            "province_code": _province(i.commune_code),
            "commune_code": i.commune_code,
            "month": i.month,
            "amount": i.amount,
            "reason": reason,
            "status": "flagged",
            "flagged_by": by,
            "flagged_at": now,
            "note": "",
        }
        for i in fresh
    ]
    for row in rows:
        repo.insert_ignoring_existing(session, Recovery, [row], ("instruction_id",))
    for i in fresh:
        i.recovery, i.recovery_reason = "flagged", reason
    session.flush()
    return [i.id for i in fresh]


def _province(commune_code: str) -> str:
    unit = adminunits.find_commune(commune_code)
    return unit.province_code if unit else commune_code[:2]


def step(
    session: Session, recovery_id: int, to: str, *, actor: Actor, note: str = ""
) -> RecoveryOut:
    """One step of the ledger by name: ``notified``, ``recovered`` or ``waived``."""
    if to == "notified":
        return notify(session, recovery_id, actor=actor, note=note)
    return settle(session, recovery_id, to, actor=actor, note=note)  # type: ignore[arg-type]


def notify(session: Session, recovery_id: int, *, actor: Actor, note: str = "") -> RecoveryOut:
    """The family or the bank has been asked to return the money."""
    return _move(session, recovery_id, "notified", actor=actor, note=note)


def settle(
    session: Session, recovery_id: int, outcome: Outcome, *, actor: Actor, note: str = ""
) -> RecoveryOut:
    """The money is back (``recovered``), or the province gives it up (``waived``, with the
    reason in ``note``)."""
    if outcome == "waived" and not note.strip():
        raise ValidationFailed(
            "Say why the money is not recovered",
            code=PaymentsErrorCode.REASON_REQUIRED,
            field="note",
        )
    return _move(session, recovery_id, outcome, actor=actor, note=note)


def _move(
    session: Session, recovery_id: int, status: str, *, actor: Actor, note: str
) -> RecoveryOut:
    actor.require(Permission.PAYMENT_APPROVE)
    row = _visible(session, actor, recovery_id)
    now = utcnow()
    values: dict[str, object] = {"status": status}
    if status == "notified":
        values |= {"notified_by": actor.id, "notified_at": now}
    else:
        values |= {"closed_by": actor.id, "closed_at": now}
    if note.strip():
        values["note"] = note.strip()[:200]
    moved = session.execute(
        update(Recovery)
        .where(Recovery.id == row.id, Recovery.status.in_(_FROM[status]))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise InvalidState(
            "This recovery is not in a state that allows this step",
            code=PaymentsErrorCode.RECOVERY_TRANSITION,
            field="status",
        )
    session.execute(
        update(Instruction)
        .where(Instruction.id == row.instruction_id)
        .values(recovery=status)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    payee = session.scalar(
        select(Instruction.payee_name).where(Instruction.id == row.instruction_id)
    )
    audit.record(
        session,
        actor,
        action=f"recovery.{status}",
        subject_type="citizen",
        subject_id=row.pid,
        purpose=area.PURPOSE,
        fields=("recovery", "amount"),
    )
    return _out(row, payee or "")


def _out(row: Recovery, payee_name: str) -> RecoveryOut:
    out = RecoveryOut.model_validate(row)
    out.payee_name = payee_name
    return out


def _visible(session: Session, actor: Actor, recovery_id: int) -> Recovery:
    row = session.scalars(
        select(Recovery).where(
            Recovery.id == recovery_id,
            repo.in_area(actor, Recovery.province_code, Recovery.commune_code),
        )
    ).first()
    if row is None:
        raise NotFound(
            "No such recovery in your area",
            code=PaymentsErrorCode.RECOVERY_NOT_FOUND,
            field="recovery_id",
        )
    return row


def list_recoveries(
    session: Session, *, actor: Actor, status: str | None = None
) -> list[RecoveryOut]:
    """The recoveries of the actor's area, open ones first, with the payee's name (each
    names a citizen: audited)."""
    actor.require(Permission.BENEFICIARY_READ)
    stmt = (
        select(Recovery, Instruction.payee_name)
        .join(Instruction, Instruction.id == Recovery.instruction_id)
        .where(repo.in_area(actor, Recovery.province_code, Recovery.commune_code))
    )
    if status:
        stmt = stmt.where(Recovery.status == status)
    found = session.execute(stmt.order_by(Recovery.id)).all()
    rows = [r for r, _ in found]
    audit.record_many(
        session,
        actor,
        action="recovery.listed",
        subject_type="citizen",
        subject_ids=sorted({r.pid for r in rows}),
        purpose=area.PURPOSE,
        fields=("recovery", "amount"),
    )
    return [_out(r, name) for r, name in found]
