"""Payment cycles: build a month's instructions (one per beneficiary, programme and month,
whatever is re-run) and approve them (never by their preparer). Paying them out (the bank
files, the postal list, receipts, retries) is ``disbursement``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor, Permission
from dancu.common.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.payments import area, eligibility, lifeevents, programmes
from dancu.payments import repository as repo
from dancu.payments.errors import PaymentsErrorCode
from dancu.payments.models import Beneficiary, Cycle, Instruction, Programme
from dancu.payments.schemas import CycleOut, CycleSummaryOut

Progress = Callable[[str, int, int], None]
CHUNK = 1000  # instructions per INSERT
BATCH = 5000  # beneficiaries judged at a time (and ID numbers per registry read)


def first_of_month(value: date) -> date:
    if value.day != 1:
        raise ValidationFailed(
            "A cycle's month is given by its first day",
            code=PaymentsErrorCode.MONTH_INVALID,
            field="month",
        )
    return value


def end_to_end_id(programme_id: int, month: date, beneficiary_id: int) -> str:
    return f"P{programme_id}-{month:%Y%m}-{beneficiary_id}"


def _out(session: Session, cycle: Cycle) -> CycleOut:
    totals = repo.cycle_totals(session, [cycle.id]).get(cycle.id, {})
    return CycleOut.model_validate({**CycleOut.model_validate(cycle).model_dump(), **totals})


def _cycle_row(
    session: Session, programme: Programme, province_code: str, month: date, actor: Actor
) -> Cycle:
    row = {
        "programme_id": programme.id,
        "province_code": province_code,
        "month": month,
        "status": "prepared",
        "prepared_by": actor.id,
        "prepared_by_name": actor.name,
        "prepared_at": utcnow(),
        "exclusions": [],
    }
    repo.insert_ignoring_existing(session, Cycle, [row], ("programme_id", "province_code", "month"))
    cycle = repo.cycle_for(session, programme.id, province_code, month)
    assert cycle is not None  # inserted now or before
    if cycle.status != "prepared":
        raise InvalidState(
            "This month's cycle is already approved",
            code=PaymentsErrorCode.CYCLE_APPROVED,
            field="month",
        )
    return cycle


def prepare_cycle(
    session: Session,
    programme_code: str,
    province_code: str,
    month: date,
    *,
    actor: Actor,
    progress: Progress | None = None,
) -> CycleOut:
    """Re-check every active beneficiary against the registry and build the month's
    instructions; re-running adds what is missing and drops who is no longer payable."""
    actor.require(Permission.PAYMENT_PREPARE)
    area.province(actor, province_code)
    month = first_of_month(month)
    programme = programmes.get_programme(session, programme_code)
    cycle = _cycle_row(session, programme, province_code, month, actor)
    cycle.prepared_by, cycle.prepared_by_name = actor.id, actor.name  # the last to prepare
    report = progress or (lambda step, done, total: None)
    categories = {c.code: c for c in repo.categories(session, programme.id)}
    level = programmes.level_on(session, programme.id, month)
    total = repo.count_payable(session, programme, province_code)
    exclusions: list[dict[str, object]] = []
    dropped: list[int] = []
    done, last = 0, 0
    while batch := repo.payable_beneficiaries(
        session, programme, province_code, after_id=last, limit=BATCH
    ):
        facts = eligibility.registry_facts(
            session, province_code, (b.pid for b in batch), actor=actor
        )
        rows = _judge_batch(session, cycle, programme, categories, batch, facts)
        for b, verdict in rows:
            if verdict is not None:
                exclusions.append(verdict)
                dropped.append(b.id)
        session.flush()  # communes moved inside the province
        payable = [
            _instruction(
                cycle,
                programme,
                b,
                programmes.amount_for(level, categories[b.category_code].coefficient),
            )
            for b, verdict in rows
            if verdict is None
        ]
        for start in range(0, len(payable), CHUNK):
            repo.insert_ignoring_existing(
                session,
                Instruction,
                payable[start : start + CHUNK],
                ("beneficiary_id", "programme_id", "month"),
            )
        # The session holds clean rows weakly: a batch at a time stays in memory.
        done, last = done + len(batch), batch[-1].id
        report("check", done, total)
    if dropped:
        session.execute(
            delete(Instruction).where(
                Instruction.cycle_id == cycle.id,
                Instruction.status == "pending",
                Instruction.beneficiary_id.in_(dropped),
            )
        )
    cycle.exclusions = exclusions
    session.flush()
    _audit(session, actor, "cycle.prepared", cycle)
    return _out(session, cycle)


def _judge_batch(
    session: Session,
    cycle: Cycle,
    programme: Programme,
    categories: dict[str, Any],
    batch: Sequence[Beneficiary],
    facts: eligibility.Facts,
) -> list[tuple[Beneficiary, dict[str, object] | None]]:
    """Each beneficiary with ``None`` (payable) or the exclusion that leaves them out."""
    judged: list[tuple[Beneficiary, dict[str, object] | None]] = []
    for b in batch:
        verdict = eligibility.judge(
            b, categories[b.category_code], facts, cycle.month, one_off=programme.kind == "one_off"
        )
        if not verdict.payable:
            if verdict.reason == "deceased" and verdict.death_date is not None:
                lifeevents.record_death(session, b.pid, verdict.death_date, source="cycle_check")
            exclusion = {
                "pid": b.pid,
                "name": b.full_name,
                "commune_code": b.commune_code,
                "reason": verdict.reason,
            }
            judged.append((b, exclusion))
            continue
        if verdict.commune_code and verdict.commune_code != b.commune_code:
            b.commune_code = verdict.commune_code  # moved inside the province
        judged.append((b, None))
    return judged


def _instruction(cycle: Cycle, programme: Programme, b: object, amount: int) -> dict[str, object]:
    bank = b.channel == "bank"  # type: ignore[attr-defined]
    return {
        "cycle_id": cycle.id,
        "beneficiary_id": b.id,  # type: ignore[attr-defined]
        "programme_id": programme.id,
        "month": cycle.month,
        "pid": b.pid,  # type: ignore[attr-defined]
        "payee_name": b.full_name,  # type: ignore[attr-defined]
        "commune_code": b.commune_code,  # type: ignore[attr-defined]
        "amount": amount,
        "channel": "bank" if bank else "cash",
        "bank_code": b.bank_code if bank else None,  # type: ignore[attr-defined]
        "account_id": b.account_id if bank else None,  # type: ignore[attr-defined]
        "end_to_end_id": end_to_end_id(programme.id, cycle.month, b.id),  # type: ignore[attr-defined]
        "status": "pending",
        "attempts": 0,
        "created_at": utcnow(),
    }


def _audit(session: Session, actor: Actor, action: str, cycle: Cycle) -> None:
    audit.record(
        session,
        actor,
        action=action,
        subject_type="payment_cycle",
        subject_id=str(cycle.id),
        purpose=area.PURPOSE,
        fields=("instructions",),
    )


def get_cycle(session: Session, cycle_id: int, *, actor: Actor) -> CycleOut:
    """A cycle with its totals and who was left out (their names: audited)."""
    actor.require(Permission.BENEFICIARY_READ)
    cycle = visible(session, actor, cycle_id)
    audit.record_many(
        session,
        actor,
        action="cycle.exclusions_listed",
        subject_type="citizen",
        subject_ids=sorted({e["pid"] for e in cycle.exclusions or []}),
        purpose=area.PURPOSE,
        fields=("pid", "full_name", "commune", "reason"),
    )
    return _out(session, cycle)


def visible(session: Session, actor: Actor, cycle_id: int) -> Cycle:
    cycle = repo.cycle(session, actor, cycle_id)
    if cycle is None:
        raise NotFound(
            "No such cycle in your area", code=PaymentsErrorCode.CYCLE_NOT_FOUND, field="cycle_id"
        )
    return cycle


def list_cycles(session: Session, *, actor: Actor) -> list[CycleOut]:
    actor.require(Permission.BENEFICIARY_READ)
    cycles = repo.list_cycles(session, actor)
    totals = repo.cycle_totals(session, [c.id for c in cycles])
    return [
        CycleOut.model_validate({**CycleOut.model_validate(c).model_dump(), **totals.get(c.id, {})})
        for c in cycles
    ]


def cycle_summaries(session: Session, *, actor: Actor) -> list[CycleSummaryOut]:
    """The cycles of the actor's area with their totals (no personal data)."""
    return [
        CycleSummaryOut.model_validate({**c.model_dump(), "excluded": len(c.exclusions)})
        for c in list_cycles(session, actor=actor)
    ]


def approve_cycle(session: Session, cycle_id: int, *, actor: Actor) -> CycleOut:
    """Approve a prepared cycle; its preparer may not."""
    actor.require(Permission.PAYMENT_APPROVE)
    cycle = visible(session, actor, cycle_id)
    area.province(actor, cycle.province_code)
    if cycle.prepared_by == actor.id:
        raise Forbidden(
            "A cycle is approved by another officer than the one who prepared it",
            code=PaymentsErrorCode.SAME_OFFICER,
            field="cycle_id",
        )
    if not repo.cycle_totals(session, [cycle.id]).get(cycle.id, {}).get("count"):
        raise InvalidState(
            "The cycle has no payment", code=PaymentsErrorCode.CYCLE_EMPTY, field="cycle_id"
        )
    changed = session.execute(
        update(Cycle)
        .where(Cycle.id == cycle.id, Cycle.status == "prepared")
        .values(
            status="approved",
            approved_by=actor.id,
            approved_by_name=actor.name,
            approved_at=utcnow(),
        )
    ).rowcount
    if not changed:
        raise InvalidState(
            "The cycle is already approved", code=PaymentsErrorCode.CYCLE_APPROVED, field="cycle_id"
        )
    session.refresh(cycle)
    _audit(session, actor, "cycle.approved", cycle)
    return _out(session, cycle)
