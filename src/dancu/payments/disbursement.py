"""Paying out an approved cycle: one pain.001 bank file per bank, the post office's list
of cash payments with a column for the signature on receipt, the post office's receipts,
and a failed transfer retried or moved to cash.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from dancu.common import adminunits
from dancu.common.access import Actor, Permission
from dancu.common.errors import InvalidState, NotFound
from dancu.db import utcnow
from dancu.payments import area, cycles, iso20022, lifeevents
from dancu.payments import repository as repo
from dancu.payments.errors import PaymentsErrorCode
from dancu.payments.models import Cycle, Instruction, PaymentFile
from dancu.payments.schemas import FileOut, Receipt

CHUNK = cycles.CHUNK
POSTAL_COLUMNS = (
    "stt",
    "ma_giao_dich",
    "so_dinh_danh",
    "ho_ten",
    "xa_phuong",
    "thang",
    "so_tien",
    "ky_nhan",
)


def _approved(session: Session, actor: Actor, cycle_id: int) -> Cycle:
    actor.require(Permission.PAYMENT_PREPARE)
    cycle = cycles.visible(session, actor, cycle_id)
    area.province(actor, cycle.province_code)
    if cycle.status == "prepared":
        raise InvalidState(
            "The cycle is not approved yet",
            code=PaymentsErrorCode.CYCLE_NOT_APPROVED,
            field="cycle_id",
        )
    return cycle


def _message_id(kind: str, cycle: Cycle, key: str) -> str:
    stamp = utcnow().strftime("%Y%m%d%H%M%S%f")
    return f"{kind}-{cycle.id}-{key}-{stamp}"[:35]


def bank_files(
    session: Session, cycle_id: int, *, actor: Actor, execution_date: date | None = None
) -> list[FileOut]:
    """One pain.001 per bank with the cycle's bank instructions not yet sent (a retried one
    goes again); they become ``sent``. Nothing already sent goes twice."""
    cycle = _approved(session, actor, cycle_id)
    pending = repo.instructions(session, cycle.id, channel="bank", statuses=("pending",))
    by_bank: dict[str, list[Instruction]] = {}
    for i in pending:
        by_bank.setdefault(i.bank_code or "", []).append(i)
    province = adminunits.province(cycle.province_code)
    out = []
    for bank_code, items in sorted(by_bank.items()):
        message_id = _message_id("PAY", cycle, bank_code)
        debtor = iso20022.Debtor(
            f"Chi trả an sinh xã hội - {province.name}",
            f"KBNN{cycle.province_code}{bank_code}",
            bank_code,
        )
        transfers = [
            iso20022.Transfer(
                i.end_to_end_id,
                i.amount,
                i.payee_name,
                i.pid,
                bank_code,
                i.account_id or "",
                f"Tro cap {i.month:%m/%Y} {i.end_to_end_id}",
            )
            for i in items
        ]
        content = iso20022.credit_transfer(
            message_id,
            debtor,
            transfers,
            execution_date=execution_date or date.today(),
            created_at=utcnow(),
        )
        out.append(
            _store(
                session,
                cycle,
                "pain.001",
                bank_code,
                message_id,
                content.decode(),
                len(items),
                actor,
            )
        )
        _mark_sent(session, items)
    return out


def _mark_sent(session: Session, items: Sequence[Instruction]) -> None:
    """``pending`` -> ``sent`` in chunks of UPDATEs; the loaded rows are told without a
    reload (matching each UPDATE against every loaded row would be quadratic)."""
    ids = [i.id for i in items]
    for start in range(0, len(ids), CHUNK):
        session.execute(
            update(Instruction)
            .where(Instruction.id.in_(ids[start : start + CHUNK]), Instruction.status == "pending")
            .values(status="sent", attempts=Instruction.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    for i in items:
        set_committed_value(i, "status", "sent")
        set_committed_value(i, "attempts", i.attempts + 1)


def _store(
    session: Session,
    cycle: Cycle | None,
    kind: str,
    bank_code: str | None,
    message_id: str,
    content: str,
    lines: int,
    actor: Actor,
) -> FileOut:
    row = PaymentFile(
        cycle_id=cycle.id if cycle else None,
        kind=kind,
        bank_code=bank_code,
        message_id=message_id,
        lines=lines,
        content=content,
        created_by=actor.id,
    )
    session.add(row)
    session.flush()
    return FileOut.model_validate(row)


def postal_list(
    session: Session, cycle_id: int, *, actor: Actor
) -> tuple[FileOut, list[dict[str, str]]]:
    """The cash payments for the post office, with a column for the signature on receipt:
    the cycle's, and earlier months' that are still unpaid (moved to cash, or not collected)."""
    cycle = _approved(session, actor, cycle_id)
    items = repo.cash_to_pay(session, cycle)
    lines = [
        {
            "stt": str(n),
            "end_to_end_id": i.end_to_end_id,
            "pid": i.pid,
            "full_name": i.payee_name,
            "commune": _commune_name(i.commune_code),
            "month": f"{i.month:%m/%Y}",
            "amount": str(i.amount),
        }
        for n, i in enumerate(items, 1)
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(POSTAL_COLUMNS)
    for line in lines:
        writer.writerow([*line.values(), ""])
    stored = _store(
        session,
        cycle,
        "postal",
        None,
        _message_id("POST", cycle, "VNPOST"),
        buffer.getvalue(),
        len(lines),
        actor,
    )
    _mark_sent(session, items)
    return stored, lines


def _commune_name(code: str) -> str:
    unit = adminunits.find_commune(code)
    return unit.name if unit else code


def record_receipts(session: Session, receipts: Sequence[Receipt], *, actor: Actor) -> int:
    """The post office's receipts: signed lines are paid; the others wait for the next list."""
    actor.require(Permission.PAYMENT_PREPARE)
    found = repo.instructions_by_e2e(session, [r.end_to_end_id for r in receipts])
    paid = 0
    for r in receipts:
        i = found.get(r.end_to_end_id)
        if i is None or i.channel != "cash" or i.status != "sent":
            continue
        if r.signed_by:
            i.status, i.paid_on, i.signed_by = "paid", r.paid_on, r.signed_by
            paid += 1
            lifeevents.check_overpayment(session, i)
        else:
            i.status = "pending"
    session.flush()
    return paid


def _failed(session: Session, actor: Actor, instruction_id: int) -> Instruction:
    actor.require(Permission.PAYMENT_PREPARE)
    i = repo.instruction_in_area(session, actor, instruction_id)
    if i is None:
        raise NotFound(
            "No such payment", code=PaymentsErrorCode.INSTRUCTION_NOT_FOUND, field="instruction_id"
        )
    if i.status != "failed":
        raise InvalidState(
            "Only a failed payment is retried or moved", code=PaymentsErrorCode.INSTRUCTION_STATE
        )
    return i


def retry(session: Session, instruction_id: int, *, actor: Actor) -> None:
    """A failed transfer goes again in its cycle's next bank file."""
    i = _failed(session, actor, instruction_id)
    i.status, i.failure_reason = "pending", None
    session.flush()


def move_to_cash(session: Session, instruction_id: int, *, actor: Actor) -> None:
    """A failed transfer is paid in cash on the next postal list instead."""
    i = _failed(session, actor, instruction_id)
    i.status, i.channel = "pending", "cash"
    session.flush()


def files_of(session: Session, cycle_id: int, *, actor: Actor) -> list[FileOut]:
    actor.require(Permission.BENEFICIARY_READ)
    cycle = cycles.visible(session, actor, cycle_id)
    return [FileOut.model_validate(f) for f in repo.files_of_cycle(session, cycle.id)]


def file_content(session: Session, file_id: int, *, actor: Actor) -> tuple[FileOut, str]:
    actor.require(Permission.PAYMENT_PREPARE)
    row = repo.file_in_area(session, actor, file_id)
    if row is None:
        raise NotFound("No such file", code=PaymentsErrorCode.CYCLE_NOT_FOUND, field="file_id")
    return FileOut.model_validate(row), row.content


def failed_of(session: Session, cycle_id: int, *, actor: Actor) -> list[int]:
    """The ids of the cycle's failed payments (to retry or move to cash)."""
    cycle = _approved(session, actor, cycle_id)
    return [
        i.id for i in repo.instructions(session, cycle.id, channel="bank", statuses=("failed",))
    ]
