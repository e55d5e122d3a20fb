"""Reconciliation: a bank's pain.002 status report and camt.054 debit notification,
imported and matched line by line to the instructions sent.

A file that is not the expected message or breaks its XSD is refused whole
(``payments.file_malformed``), and a file already imported (its message id) too. In a valid
file, a line for an unknown instruction or with another amount than the instruction's is
reported (``payments.status_unknown_instruction``, ``payments.status_wrong_amount``) and
changes nothing; every other line moves its instruction: rejected -> failed (to retry or
pay in cash), booked -> paid (and flagged if it pays a month after a death), reversed ->
failed.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit, outbox
from dancu.common.access import Actor, Permission
from dancu.common.errors import Conflict
from dancu.payments import area, events, iso20022, lifeevents
from dancu.payments import repository as repo
from dancu.payments.errors import PaymentsErrorCode
from dancu.payments.models import Instruction, PaymentFile, ReconciliationProblem
from dancu.payments.schemas import FileOut, ImportProblemOut, ReconcileOut

ACCEPTED = ("ACCP", "ACSP", "ACWC", "ACSC")
MOVABLE = {"pain.002": ("sent", "accepted"), "camt.054": ("sent", "accepted", "paid")}


def import_status_report(session: Session, data: bytes, *, actor: Actor) -> ReconcileOut:
    actor.require(Permission.PAYMENT_PREPARE)
    msg_id, lines = iso20022.read_status_report(data)
    return _reconcile(session, "pain.002", msg_id, data, lines, actor)


def import_notification(session: Session, data: bytes, *, actor: Actor) -> ReconcileOut:
    actor.require(Permission.PAYMENT_PREPARE)
    msg_id, lines = iso20022.read_notification(data)
    return _reconcile(session, "camt.054", msg_id, data, lines, actor)


def _reconcile(
    session: Session,
    kind: str,
    msg_id: str,
    data: bytes,
    lines: list[iso20022.Line],
    actor: Actor,
) -> ReconcileOut:
    row = PaymentFile(
        kind=kind,
        message_id=msg_id[:35],
        lines=len(lines),
        content=data.decode("utf-8", "replace"),
        created_by=actor.id,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "This file was already imported", code=PaymentsErrorCode.FILE_DUPLICATE, field="file"
        ) from None
    found = repo.instructions_by_e2e(session, [line.end_to_end_id for line in lines])
    problems, matched = [], 0
    for line in lines:
        instruction = found.get(line.end_to_end_id)
        problem = _check(line, instruction, actor)
        if problem is not None:
            problems.append(problem)
            session.add(
                ReconciliationProblem(
                    file_id=row.id,
                    line=line.line,
                    code=problem.code,
                    reference=line.end_to_end_id[:35],
                    detail=problem.detail,
                )
            )
            continue
        assert instruction is not None
        row.cycle_id = row.cycle_id or instruction.cycle_id
        matched += _apply(session, kind, line, instruction)
    session.flush()
    audit.record(
        session,
        actor,
        action=f"payment_file.{kind}",
        subject_type="payment_file",
        subject_id=str(row.id),
        purpose=area.PURPOSE,
        fields=("status",),
    )
    return ReconcileOut(file=FileOut.model_validate(row), matched=matched, problems=problems)


def _check(
    line: iso20022.Line, instruction: Instruction | None, actor: Actor
) -> ImportProblemOut | None:
    """Why a line does not reconcile (an instruction outside the actor's area is unknown)."""
    if instruction is None or not _in_area(actor, instruction):
        return ImportProblemOut(
            line=line.line,
            code=PaymentsErrorCode.STATUS_UNKNOWN_INSTRUCTION,
            detail=line.end_to_end_id[:100],
        )
    if line.amount != instruction.amount or line.currency != iso20022.CURRENCY:
        return ImportProblemOut(
            line=line.line,
            code=PaymentsErrorCode.STATUS_WRONG_AMOUNT,
            detail=f"{line.amount} {line.currency}, expected {instruction.amount} VND",
        )
    return None


def _in_area(actor: Actor, instruction: Instruction) -> bool:
    unit = adminunits.find_commune(instruction.commune_code)
    return actor.covers(unit.province_code if unit else None, instruction.commune_code)


def _apply(session: Session, kind: str, line: iso20022.Line, instruction: Instruction) -> int:
    if instruction.status not in MOVABLE[kind]:
        return 0
    if kind == "pain.002":
        if line.status == "RJCT":
            instruction.status, instruction.failure_reason = "failed", line.reason or "RJCT"
        elif line.status in ACCEPTED:
            instruction.status = "accepted"
        return 1
    if line.status == "RVSL":
        instruction.status, instruction.failure_reason = "failed", "returned"
        return 1
    if line.status == "BOOK" and instruction.status != "paid":
        instruction.status, instruction.paid_on = "paid", line.booked_on
        outbox.emit(
            session,
            events.PAYMENT_SETTLED,
            {
                "instruction_id": instruction.id,
                "pid": instruction.pid,
                "amount": instruction.amount,
                "month": instruction.month.isoformat(),
            },
        )
        lifeevents.check_overpayment(session, instruction)
    return 1
