"""Every payments query, starting from access-scoped statements: an officer finds only the
beneficiaries, cycles and instructions of their area (a forgotten check finds nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.db import is_postgres
from dancu.payments.models import (
    Beneficiary,
    BeneficiaryChange,
    Category,
    Cycle,
    Instruction,
    Level,
    PaymentFile,
    Programme,
    ReconciliationProblem,
)


def insert_ignoring_existing(
    session: Session, model: type[Any], rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> int:
    """INSERT ... ON CONFLICT (keys) DO NOTHING. One row: whether it went in (1 or 0). Many
    rows go as one batched executemany, whose count the drivers do not report: 0."""
    if not rows:
        return 0
    dialect = postgresql if is_postgres(session) else sqlite
    stmt = dialect.insert(model.__table__).on_conflict_do_nothing(index_elements=keys)
    # Core on the session's connection: same transaction, batched "insertmanyvalues".
    if len(rows) == 1:
        return session.connection().execute(stmt.values(rows[0])).rowcount or 0
    session.connection().execute(stmt, list(rows))
    return 0


def in_area(actor: Actor, province: Any, commune: Any) -> Any:
    if actor.nationwide:
        return True
    return or_(province.in_(actor.province_units), commune.in_(actor.commune_units))


def beneficiaries_readable_by(actor: Actor) -> Select[tuple[Beneficiary]]:
    return select(Beneficiary).where(
        in_area(actor, Beneficiary.province_code, Beneficiary.commune_code)
    )


def cycles_readable_by(actor: Actor) -> Select[tuple[Cycle]]:
    if actor.nationwide:
        return select(Cycle)
    return select(Cycle).where(Cycle.province_code.in_(actor.province_units))


def programme_by_code(session: Session, code: str) -> Programme | None:
    return session.scalars(select(Programme).where(Programme.code == code)).first()


def programme_by_id(session: Session, programme_id: int) -> Programme | None:
    return session.get(Programme, programme_id)


def programmes(session: Session) -> list[Programme]:
    return list(session.scalars(select(Programme).order_by(Programme.id)))


def categories(session: Session, programme_id: int) -> list[Category]:
    stmt = select(Category).where(Category.programme_id == programme_id).order_by(Category.id)
    return list(session.scalars(stmt))


def levels(session: Session, programme_id: int) -> list[Level]:
    stmt = select(Level).where(Level.programme_id == programme_id).order_by(Level.effective_from)
    return list(session.scalars(stmt))


def last_approved_month(session: Session, programme_id: int) -> date | None:
    return session.scalar(
        select(func.max(Cycle.month)).where(
            Cycle.programme_id == programme_id, Cycle.status != "prepared"
        )
    )


def beneficiary(session: Session, actor: Actor, beneficiary_id: int) -> Beneficiary | None:
    stmt = beneficiaries_readable_by(actor).where(Beneficiary.id == beneficiary_id)
    return session.scalars(stmt).first()


def list_beneficiaries(
    session: Session,
    actor: Actor,
    *,
    programme_id: int | None,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Beneficiary], int]:
    stmt = beneficiaries_readable_by(actor)
    if programme_id is not None:
        stmt = stmt.where(Beneficiary.programme_id == programme_id)
    if status:
        stmt = stmt.where(Beneficiary.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Beneficiary.commune_code, Beneficiary.full_name, Beneficiary.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def pending_changes(session: Session, actor: Actor) -> list[tuple[BeneficiaryChange, Beneficiary]]:
    area = in_area(actor, Beneficiary.province_code, Beneficiary.commune_code)
    stmt = (
        select(BeneficiaryChange, Beneficiary)
        .join(Beneficiary, Beneficiary.id == BeneficiaryChange.beneficiary_id)
        .where(BeneficiaryChange.status == "pending", area)
        .order_by(BeneficiaryChange.id)
    )
    return [(c, b) for c, b in session.execute(stmt)]


def change(
    session: Session, actor: Actor, change_id: int
) -> tuple[BeneficiaryChange, Beneficiary] | None:
    area = in_area(actor, Beneficiary.province_code, Beneficiary.commune_code)
    stmt = (
        select(BeneficiaryChange, Beneficiary)
        .join(Beneficiary, Beneficiary.id == BeneficiaryChange.beneficiary_id)
        .where(BeneficiaryChange.id == change_id, area)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row else None


def _payable(programme: Programme, province_code: str) -> Select[tuple[Beneficiary]]:
    stmt = select(Beneficiary).where(
        Beneficiary.programme_id == programme.id,
        Beneficiary.province_code == province_code,
        Beneficiary.status == "active",
    )
    if programme.kind == "one_off":
        paid = select(Instruction.id).where(Instruction.beneficiary_id == Beneficiary.id)
        stmt = stmt.where(~paid.exists())
    return stmt


def payable_beneficiaries(
    session: Session,
    programme: Programme,
    province_code: str,
    *,
    after_id: int = 0,
    limit: int | None = None,
) -> list[Beneficiary]:
    """Active beneficiaries of the programme in the province, by id from ``after_id`` (a
    cycle reads them a batch at a time); for a one-off programme, only those never given
    an instruction."""
    stmt = _payable(programme, province_code).where(Beneficiary.id > after_id)
    return list(session.scalars(stmt.order_by(Beneficiary.id).limit(limit)))


def count_payable(session: Session, programme: Programme, province_code: str) -> int:
    stmt = _payable(programme, province_code).with_only_columns(func.count())
    return session.scalar(stmt) or 0


def cycle(session: Session, actor: Actor, cycle_id: int) -> Cycle | None:
    return session.scalars(cycles_readable_by(actor).where(Cycle.id == cycle_id)).first()


def cycle_for(session: Session, programme_id: int, province_code: str, month: date) -> Cycle | None:
    stmt = select(Cycle).where(
        Cycle.programme_id == programme_id,
        Cycle.province_code == province_code,
        Cycle.month == month,
    )
    return session.scalars(stmt).first()


def list_cycles(session: Session, actor: Actor, limit: int = 100) -> list[Cycle]:
    stmt = cycles_readable_by(actor).order_by(Cycle.month.desc(), Cycle.programme_id).limit(limit)
    return list(session.scalars(stmt))


def cycle_totals(session: Session, cycle_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per cycle: instructions, amount, and how many go by bank."""
    if not cycle_ids:
        return {}
    stmt = (
        select(
            Instruction.cycle_id,
            func.count(),
            func.coalesce(func.sum(Instruction.amount), 0),
            func.count().filter(Instruction.channel == "bank"),
            func.count().filter(Instruction.status == "paid"),
            func.count().filter(Instruction.status == "failed"),
        )
        .where(Instruction.cycle_id.in_(cycle_ids))
        .group_by(Instruction.cycle_id)
    )
    return {
        cid: {"count": n, "amount": int(s), "bank": b, "paid": p, "failed": f}
        for cid, n, s, b, p, f in session.execute(stmt)
    }


def cycle_by_commune(session: Session, cycle_id: int) -> list[tuple[str, int, int, int]]:
    """(commune, instructions, amount, by bank) of a cycle."""
    stmt = (
        select(
            Instruction.commune_code,
            func.count(),
            func.sum(Instruction.amount),
            func.count().filter(Instruction.channel == "bank"),
        )
        .where(Instruction.cycle_id == cycle_id)
        .group_by(Instruction.commune_code)
        .order_by(Instruction.commune_code)
    )
    return [(c, n, int(s), b) for c, n, s, b in session.execute(stmt)]


def instructions(
    session: Session, cycle_id: int, *, channel: str, statuses: Sequence[str]
) -> list[Instruction]:
    stmt = (
        select(Instruction)
        .where(
            Instruction.cycle_id == cycle_id,
            Instruction.channel == channel,
            Instruction.status.in_(statuses),
        )
        .order_by(Instruction.bank_code, Instruction.id)
    )
    return list(session.scalars(stmt))


def instructions_by_e2e(session: Session, ids: Sequence[str]) -> dict[str, Instruction]:
    if not ids:
        return {}
    stmt = select(Instruction).where(Instruction.end_to_end_id.in_(list(ids)))
    return {i.end_to_end_id: i for i in session.scalars(stmt)}


def instruction_in_area(session: Session, actor: Actor, instruction_id: int) -> Instruction | None:
    stmt = (
        select(Instruction)
        .join(Cycle, Cycle.id == Instruction.cycle_id)
        .where(Instruction.id == instruction_id)
    )
    if not actor.nationwide:
        stmt = stmt.where(Cycle.province_code.in_(actor.province_units))
    return session.scalars(stmt).first()


def instructions_of_pid(session: Session, pid: str) -> list[tuple[Instruction, Programme]]:
    stmt = (
        select(Instruction, Programme)
        .join(Programme, Programme.id == Instruction.programme_id)
        .where(Instruction.pid == pid)
        .order_by(Instruction.month.desc(), Instruction.id.desc())
    )
    return [(i, p) for i, p in session.execute(stmt)]


def beneficiaries_of_pid(session: Session, pid: str) -> list[tuple[Beneficiary, Programme]]:
    stmt = (
        select(Beneficiary, Programme)
        .join(Programme, Programme.id == Beneficiary.programme_id)
        .where(Beneficiary.pid == pid)
        .order_by(Beneficiary.id)
    )
    return [(b, p) for b, p in session.execute(stmt)]


def after_death(pid: str, first_month_after: date) -> Any:
    return and_(Instruction.pid == pid, Instruction.month >= first_month_after)


def files_of_cycle(session: Session, cycle_id: int) -> list[PaymentFile]:
    stmt = select(PaymentFile).where(PaymentFile.cycle_id == cycle_id).order_by(PaymentFile.id)
    return list(session.scalars(stmt))


def file_in_area(session: Session, actor: Actor, file_id: int) -> PaymentFile | None:
    stmt = (
        select(PaymentFile)
        .outerjoin(Cycle, Cycle.id == PaymentFile.cycle_id)
        .where(PaymentFile.id == file_id)
    )
    if not actor.nationwide:
        stmt = stmt.where(Cycle.province_code.in_(actor.province_units))
    return session.scalars(stmt).first()


def problems_of(session: Session, file_id: int) -> list[ReconciliationProblem]:
    stmt = (
        select(ReconciliationProblem)
        .where(ReconciliationProblem.file_id == file_id)
        .order_by(ReconciliationProblem.line)
    )
    return list(session.scalars(stmt))


def cash_to_pay(session: Session, cycle: Cycle) -> list[Instruction]:
    """Unpaid cash instructions of the cycle's programme and province up to its month."""
    stmt = (
        select(Instruction)
        .join(Cycle, Cycle.id == Instruction.cycle_id)
        .where(
            Cycle.programme_id == cycle.programme_id,
            Cycle.province_code == cycle.province_code,
            Cycle.status != "prepared",
            Instruction.month <= cycle.month,
            Instruction.channel == "cash",
            Instruction.status == "pending",
        )
        .order_by(Instruction.commune_code, Instruction.payee_name, Instruction.id)
    )
    return list(session.scalars(stmt))


def death_date_of_beneficiary(session: Session, beneficiary_id: int) -> date | None:
    return session.scalar(select(Beneficiary.death_date).where(Beneficiary.id == beneficiary_id))
