"""An officer settles a statement entry kept for review, once: ``resolve``.

Three decisions, each with a reason, recorded on the entry (who, when, why), audited
(``fee_statement.entry_resolved``), after which the entry leaves the list to review:

- ``apply`` pays the dossier the officer names, through ``statements.pay_fee``, the same
  path as an exact match (payment row, ``procedures.fee_paid``, ``mark_paid`` and its
  history), only for a booked credit in đồng, a dossier of the officer's units that still
  owes exactly that amount (another amount is refunded, never applied);
- ``refund``: the money went back to the payer outside dancu (the bank's refund
  reference kept when known);
- ``ignore``: not the fees' money (a bank charge, a transfer to the wrong account).

The decision is claimed by a conditional UPDATE (``decision IS NULL``) before anything is
paid, so two officers deciding at once (or a double click) settle the entry once; the
loser gets ``payment.entry_settled``. A refusal leaves everything as it was.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor, Permission
from dancu.common.errors import (
    Conflict,
    DancuError,
    ErrorCode,
    Forbidden,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from dancu.db import utcnow
from dancu.procedures.models import Dossier
from dancu.procedures.payment import repository as repo
from dancu.procedures.payment import statements, vietqr
from dancu.procedures.payment.errors import EntryOutcome, PaymentErrorCode
from dancu.procedures.payment.models import BankStatement, StatementEntry
from dancu.procedures.payment.schemas import EntryOut, ResolveIn

NOT_MONEY_IN = (EntryOutcome.DEBIT, EntryOutcome.NOT_BOOKED, EntryOutcome.CURRENCY)
REASON_MAX = 500


def resolve(session: Session, entry_id: int, decision: ResolveIn, *, actor: Actor) -> EntryOut:
    """Record the officer's decision on an entry under review (and pay the dossier for
    ``apply``); raises a coded error, changing nothing, when it may not be taken."""
    if not may_resolve(actor):
        raise Forbidden(
            f"{actor.name} may not settle the transfers under review",
            code=ErrorCode.AUTH_PERMISSION,
            permission=Permission.PROCEDURE_FEES.value,
        )
    entry = repo.entry_of_units(session, actor, entry_id)
    if entry is None:
        raise NotFound(
            "No such transfer to review in your units",
            code=PaymentErrorCode.ENTRY_NOT_FOUND,
            field="entry",
        )
    if entry.decision is not None or entry.outcome == repo.MATCHED:
        raise _settled()
    reason = _reason(decision.reason)
    refund_reference = _refund_reference(decision, entry)
    dossier = _dossier_to_apply(session, entry, decision, actor)
    with session.begin_nested():
        _claim(session, entry, decision, reason, refund_reference, dossier, actor)
        if dossier is not None:
            _apply(session, entry, dossier, actor)
        audit.record(
            session,
            actor,
            action="fee_statement.entry_resolved",
            subject_type="statement_entry",
            subject_id=str(entry.id),
            purpose=statements.PURPOSE,
            fields=("fee_state",) if dossier is not None else (),
        )
    session.refresh(entry)
    return EntryOut.model_validate(entry)


def _settled() -> Conflict:
    return Conflict(
        "This transfer was already settled", code=PaymentErrorCode.ENTRY_SETTLED, field="entry"
    )


def _reason(text: str) -> str:
    reason = " ".join(text.split())[:REASON_MAX]  # ResolveIn bounds it to 500 already
    if not reason:
        raise ValidationFailed(
            "Give the reason for the decision",
            code=PaymentErrorCode.REASON_REQUIRED,
            field="reason",
        )
    return reason


def _refund_reference(decision: ResolveIn, entry: StatementEntry) -> str | None:
    if decision.decision != "refund":
        return None
    if not entry.credit or entry.outcome == EntryOutcome.DEBIT:
        raise ValidationFailed(
            "A debit brought no money in: there is nothing to refund",
            code=PaymentErrorCode.REFUND_NOT_CREDIT,
            field="decision",
        )
    reference = (decision.refund_reference or "").strip()
    if len(reference) > 35:
        raise ValidationFailed(
            "The bank's reference of the refund has at most 35 characters",
            code=PaymentErrorCode.REFUND_REFERENCE,
            field="refund_reference",
        )
    return reference or None


def _dossier_to_apply(
    session: Session, entry: StatementEntry, decision: ResolveIn, actor: Actor
) -> Dossier | None:
    """The dossier an ``apply`` pays, checked: money in, in the area, owing that amount."""
    if decision.decision != "apply":
        return None
    if not entry.credit or entry.outcome in NOT_MONEY_IN or entry.amount is None:
        raise ValidationFailed(
            "Only a booked transfer in đồng into the account can pay a fee",
            code=PaymentErrorCode.APPLY_NOT_CREDIT,
            field="decision",
        )
    dossier = _named_dossier(session, decision.dossier_code or "")
    if not actor.covers(dossier.province_code, dossier.unit_code):
        raise ValidationFailed(
            "This dossier is handled by another unit: its officer settles it",
            code=PaymentErrorCode.APPLY_OUTSIDE_UNIT,
            field="dossier_code",
        )
    if dossier.fee_state == "paid":
        raise InvalidState(
            "This dossier's fee is already paid: refund the transfer",
            code=PaymentErrorCode.APPLY_PAID,
            field="dossier_code",
        )
    if dossier.fee_state != "unpaid" or dossier.status in statements.NOT_DUE:
        raise InvalidState(
            "This dossier owes no fee: refund the transfer",
            code=PaymentErrorCode.APPLY_NOT_DUE,
            field="dossier_code",
        )
    if entry.amount != dossier.fee_amount:
        raise ValidationFailed(
            "The amount transferred is not the dossier's fee: refund the transfer",
            code=PaymentErrorCode.APPLY_AMOUNT,
            field="dossier_code",
            expected=dossier.fee_amount,
            paid=entry.amount,
        )
    return dossier


def _named_dossier(session: Session, typed: str) -> Dossier:
    """The one dossier the officer typed: its code, with or without the ``HS`` reference."""
    typed = typed.strip()
    codes = {typed, *vietqr.dossier_codes(typed)} if 0 < len(typed) <= 40 else set()
    found = repo.dossiers_by_code(session, codes)
    if len({d.id for d in found.values()}) != 1:
        raise ValidationFailed(
            "Give the code of the dossier this transfer pays",
            code=PaymentErrorCode.APPLY_DOSSIER,
            field="dossier_code",
        )
    return next(iter(found.values()))


def _claim(
    session: Session,
    entry: StatementEntry,
    decision: ResolveIn,
    reason: str,
    refund_reference: str | None,
    dossier: Dossier | None,
    actor: Actor,
) -> None:
    """Take the decision if no one did: one conditional UPDATE, so it is taken once."""
    result = session.execute(
        update(StatementEntry)
        .where(
            StatementEntry.id == entry.id,
            StatementEntry.decision.is_(None),
            StatementEntry.outcome != repo.MATCHED,
        )
        .values(
            decision=decision.decision,
            decided_by=actor.id[:80],
            decided_by_name=actor.name[:200],
            decided_at=utcnow(),
            decision_reason=reason,
            refund_reference=refund_reference,
            applied_to=dossier.code if dossier is not None else None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _settled()


def _apply(session: Session, entry: StatementEntry, dossier: Dossier, actor: Actor) -> None:
    """Pay the dossier's fee with the entry, as an exact match would have."""
    assert dossier.code is not None and entry.amount is not None
    statement = session.get_one(BankStatement, entry.statement_id)
    try:
        statements.pay_fee(
            session,
            statement,
            dossier.code,
            reference=entry.reference or f"entry-{entry.id}",
            amount=entry.amount,
            booked_on=entry.booked_on,
            text=entry.description,
            actor=actor,
        )
    except DancuError as exc:  # paid meanwhile: the dossier's conditional update lost
        raise InvalidState(
            "This dossier's fee is already paid: refund the transfer",
            code=PaymentErrorCode.APPLY_PAID,
            field="dossier_code",
        ) from exc


def may_resolve(actor: Actor) -> bool:
    """Whether the actor may settle entries: the one gate of ``resolve`` and of the page's
    forms (today every holder of ``procedure.fees``; a read-only fees role would see the
    list without the forms)."""
    return actor.can(Permission.PROCEDURE_FEES)
