"""What the registry's life events do to payments (the handlers in ``tasks.py`` call these).

A death suspends the beneficiary's monthly programmes (from the next cycle), drops their
unsent instructions for the months after the death, flags for recovery those already sent
or paid, and opens one funeral allowance if they received monthly social assistance,
whether the registry's death event or the procedures domain's funeral event comes first.
A change of residence moves the beneficiary to the new commune's list.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit, outbox
from dancu.common.access import SYSTEM_ACTOR
from dancu.db import utcnow
from dancu.payments import events, programmes, recovery
from dancu.payments import repository as repo
from dancu.payments.area import PURPOSE
from dancu.payments.models import Beneficiary, Instruction, Programme
from dancu.registry import service as registry

SENT_OR_PAID = ("sent", "accepted", "paid")


def first_month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _monthly_programmes() -> object:
    return select(Programme.id).where(Programme.kind == "monthly").scalar_subquery()


def is_beneficiary(session: Session, pid: str) -> bool:
    """Whether anyone of this ID number is (or was) on a programme's list: a life event of
    anyone else concerns no payment, and their record is not read."""
    return session.scalar(select(Beneficiary.id).where(Beneficiary.pid == pid).limit(1)) is not None


def death_date_of(session: Session, pid: str) -> date | None:
    citizen = registry.get_citizen(session, pid, actor=SYSTEM_ACTOR, purpose=PURPOSE)
    return citizen.death_date


def record_death(session: Session, pid: str, death_date: date, *, source: str) -> list[int]:
    """Suspend, drop unsent months after the death, flag paid ones; open the funeral
    allowance. Returns the ids of the instructions flagged for recovery."""
    suspended = session.execute(
        update(Beneficiary)
        .where(
            Beneficiary.pid == pid,
            Beneficiary.programme_id.in_(_monthly_programmes()),
            Beneficiary.status.in_(("proposed", "active", "suspended")),
        )
        .values(status="suspended", death_date=death_date, reason="deceased", updated_at=utcnow())
    ).rowcount
    flagged = flag_after_death(session, pid, death_date)
    opened = open_funeral_allowance(session, pid, death_date, source=source)
    if suspended or flagged or opened:
        audit.record(
            session,
            SYSTEM_ACTOR,
            action="beneficiary.death",
            subject_type="citizen",
            subject_id=pid,
            purpose=PURPOSE,
            fields=("status", "death_date", *(("recovery",) if flagged else ())),
        )
    return flagged


def flag_after_death(session: Session, pid: str, death_date: date) -> list[int]:
    """Unsent instructions for a month after the death go; sent or paid ones are flagged."""
    after = first_month_after(death_date)
    monthly = Instruction.programme_id.in_(_monthly_programmes())
    session.execute(
        delete(Instruction).where(
            repo.after_death(pid, after), monthly, Instruction.status == "pending"
        )
    )
    owed = list(
        session.scalars(
            select(Instruction).where(
                repo.after_death(pid, after),
                monthly,
                Instruction.status.in_(SENT_OR_PAID),
                Instruction.recovery.is_(None),
            )
        )
    )
    ids = recovery.open_for(session, owed, recovery.death_reason(death_date), by=SYSTEM_ACTOR.id)
    for instruction_id in ids:
        outbox.emit(
            session, events.OVERPAYMENT_FLAGGED, {"instruction_id": instruction_id, "pid": pid}
        )
    return ids


def open_funeral_allowance(session: Session, pid: str, death_date: date, *, source: str) -> bool:
    """One funeral allowance for a beneficiary of monthly social assistance (a unique
    constraint keeps it one, whichever event arrives first)."""
    social = repo.programme_by_code(session, programmes.SOCIAL)
    funeral = repo.programme_by_code(session, programmes.FUNERAL)
    if social is None or funeral is None:
        return False
    was = session.scalars(
        select(Beneficiary).where(
            Beneficiary.pid == pid,
            Beneficiary.programme_id == social.id,
            Beneficiary.status.in_(("active", "suspended")),
        )
    ).first()
    if was is None:
        return False
    row = {
        "programme_id": funeral.id,
        "category_code": programmes.PROGRAMMES[2].categories[0].code,
        "pid": pid,
        "full_name": was.full_name,
        "province_code": was.province_code,
        "commune_code": was.commune_code,
        "status": "active",
        "channel": "cash",
        "source": source,
        "death_date": death_date,
        "reason": "funeral allowance",
        "created_by": SYSTEM_ACTOR.id,
        "approved_by": SYSTEM_ACTOR.id,
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    return repo.insert_ignoring_existing(session, Beneficiary, [row], ("pid", "programme_id")) > 0


def record_move(session: Session, pid: str, commune_code: str) -> int:
    """The beneficiary joins the new commune's list (and province's cycles)."""
    unit = adminunits.find_commune(commune_code)
    if unit is None:
        return 0
    moved = session.execute(
        update(Beneficiary)
        .where(Beneficiary.pid == pid, Beneficiary.status.in_(("proposed", "active", "suspended")))
        .values(commune_code=unit.code, province_code=unit.province_code, updated_at=utcnow())
    ).rowcount
    if moved:
        audit.record(
            session,
            SYSTEM_ACTOR,
            action="beneficiary.moved",
            subject_type="citizen",
            subject_id=pid,
            purpose=PURPOSE,
            fields=("commune",),
        )
    return moved


def check_overpayment(session: Session, instruction: Instruction) -> bool:
    """Flag a payment just settled for a month after its beneficiary's recorded death."""
    died = repo.death_date_of_beneficiary(session, instruction.beneficiary_id)
    if died is None or instruction.month < first_month_after(died) or instruction.recovery:
        return False
    recovery.open_for(session, [instruction], recovery.death_reason(died), by=SYSTEM_ACTOR.id)
    outbox.emit(
        session,
        events.OVERPAYMENT_FLAGGED,
        {"instruction_id": instruction.id, "pid": instruction.pid},
    )
    return True
