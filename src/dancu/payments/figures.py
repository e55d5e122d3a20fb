"""Figures per programme, commune and month: beneficiaries paid, amounts, the share paid
without cash, failed payments, and overpayments still to recover, recovered (count and
amount) and waived, from the recovery ledger (what the seeds report and monitoring shows).
Counts only: no personal data, so no audit entry."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.access import Actor, Permission
from dancu.payments import recovery
from dancu.payments.models import Cycle, Instruction, Programme, Recovery
from dancu.payments.schemas import FigureOut


def figures(
    session: Session, *, actor: Actor, month: date | None = None, programme: str | None = None
) -> list[FigureOut]:
    actor.require(Permission.STATISTICS_READ)
    i = Instruction
    paid = i.status == "paid"
    stmt = (
        select(
            Programme.code,
            i.commune_code,
            i.month,
            func.count(func.distinct(i.beneficiary_id)),
            func.sum(i.amount),
            func.coalesce(func.sum(i.amount).filter(paid), 0),
            func.count().filter(paid),
            func.count().filter(paid, i.channel == "bank"),
            func.count().filter(i.status == "failed"),
            func.count(Recovery.id).filter(Recovery.status.in_(recovery.OPEN)),
            func.count(Recovery.id).filter(Recovery.status == "recovered"),
            func.coalesce(func.sum(Recovery.amount).filter(Recovery.status == "recovered"), 0),
            func.count(Recovery.id).filter(Recovery.status == "waived"),
        )
        .join(Programme, Programme.id == i.programme_id)
        .outerjoin(Recovery, Recovery.instruction_id == i.id)
        .join(Cycle, Cycle.id == i.cycle_id)
        .group_by(Programme.code, i.commune_code, i.month)
        .order_by(i.month.desc(), Programme.code, i.commune_code)
    )
    if not actor.nationwide:
        stmt = stmt.where(
            (Cycle.province_code.in_(actor.province_units))
            | (i.commune_code.in_(actor.commune_units))
        )
    if month is not None:
        stmt = stmt.where(i.month == month)
    if programme:
        stmt = stmt.where(Programme.code == programme)
    return [_figure(*row) for row in session.execute(stmt)]


def _figure(
    code: str,
    commune: str,
    month: date,
    beneficiaries: int,
    total: int,
    paid_total: int,
    paid_count: int,
    bank: int,
    failed: int,
    flagged: int,
    recovered: int,
    recovered_amount: int,
    waived: int,
) -> FigureOut:
    return FigureOut(
        programme=code,
        commune_code=commune,
        month=month,
        beneficiaries=beneficiaries,
        amount=int(total),
        paid_amount=int(paid_total),
        cashless_share=(bank / paid_count) if paid_count else None,
        failed=failed,
        flagged=flagged,
        recovered=recovered,
        recovered_amount=int(recovered_amount),
        waived=waived,
    )
