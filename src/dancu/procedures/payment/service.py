"""Recording a gateway's confirmation that a dossier's fee was paid.

``record_confirmation`` is the one way a payment enters: the signature is checked by the
gateway adapter, then what it says against what the dossier expects (its code and its fee),
and the transaction is inserted under a unique constraint, so a confirmation sent twice
(a replay, or a gateway retrying) is refused rather than counted twice, without a
check-then-act race. The payment is announced with ``events.FEE_PAID`` in the same
transaction. ``confirm_for_dossier`` is what the gateway's call-back and the simulated
gateway use: it takes the fee from the dossier and marks the dossier paid.
``record_transfer`` does the same for a bank transfer matched on the collecting account's
statement (``statements.import_statement``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common import outbox
from dancu.common.access import Actor, Role
from dancu.common.errors import Conflict, NotFound, ValidationFailed
from dancu.procedures import repository as repo
from dancu.procedures import service as dossiers
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.payment import events
from dancu.procedures.payment.errors import PaymentErrorCode
from dancu.procedures.payment.gateway import Confirmation, PaymentGateway
from dancu.procedures.payment.models import FeePayment

BANK_TRANSFER = "bank_transfer"  # the "gateway" of a transfer matched on a bank statement

# Who marks a dossier paid: the payment adapter, on the gateway's signed word.
PAYMENT_ACTOR = Actor(
    id="system:payment",
    name="dancu payment adapter",
    roles=frozenset({Role.SYSTEM}),
    organization="system",
)


@dataclass(frozen=True, slots=True)
class ExpectedPayment:
    """What the dossier waits for: its code and its fee in đồng."""

    dossier_code: str
    amount_vnd: int


def record_confirmation(
    session: Session,
    gateway: PaymentGateway,
    body: bytes,
    signature: str,
    *,
    expected: ExpectedPayment,
) -> Confirmation:
    """Check and keep a signed confirmation; raises a coded error on any mismatch."""
    confirmation = gateway.verify(body, signature)
    if confirmation.dossier_code != expected.dossier_code:
        raise ValidationFailed(
            "The payment confirmation is for another dossier",
            code=PaymentErrorCode.DOSSIER,
            field="dossier_code",
        )
    if confirmation.amount_vnd != expected.amount_vnd:
        raise ValidationFailed(
            "The amount paid is not the dossier's fee",
            code=PaymentErrorCode.AMOUNT,
            field="amount_vnd",
            expected=expected.amount_vnd,
            paid=confirmation.amount_vnd,
        )
    row = FeePayment(
        gateway=confirmation.gateway,
        transaction_id=confirmation.transaction_id,
        dossier_code=confirmation.dossier_code,
        amount_vnd=confirmation.amount_vnd,
        paid_at=confirmation.paid_at,
        body=body.decode(),
        signature=signature,
    )
    _keep_and_announce(session, row)
    return confirmation


def confirm_for_dossier(
    session: Session, gateway: PaymentGateway, code: str, body: bytes, signature: str
) -> Confirmation:
    """A gateway's confirmation for the dossier ``code``: checked against its fee, kept
    once, and the dossier marked paid (``procedures.service.mark_paid``), in one transaction."""
    dossier = repo.by_code(session, code)
    if dossier is None:
        raise NotFound(
            "No such dossier", code=ProcedureErrorCode.DOSSIER_NOT_FOUND, field="dossier"
        )
    expected = ExpectedPayment(code, dossier.fee_amount)
    confirmation = record_confirmation(session, gateway, body, signature, expected=expected)
    reference = f"{confirmation.gateway}:{confirmation.transaction_id}"
    dossiers.mark_paid(session, code, confirmation.amount_vnd, reference, actor=PAYMENT_ACTOR)
    return confirmation


def record_transfer(
    session: Session,
    dossier_code: str,
    amount_vnd: int,
    *,
    reference: str,
    paid_at: datetime,
    body: str,
    actor: Actor,
) -> None:
    """A bank transfer matched on the collecting account's statement: kept once (gateway
    ``bank_transfer``, the bank's entry reference as the transaction), announced and the
    dossier marked paid exactly as a gateway's confirmation is. ``mark_paid`` checks the
    amount and that the dossier is still unpaid; its refusal leaves the caller's savepoint."""
    row = FeePayment(
        gateway=BANK_TRANSFER,
        transaction_id=reference,
        dossier_code=dossier_code,
        amount_vnd=amount_vnd,
        paid_at=paid_at,
        body=body,
        signature="",
    )
    _keep_and_announce(session, row)
    dossiers.mark_paid(
        session, dossier_code, amount_vnd, f"{BANK_TRANSFER}:{reference}", actor=actor
    )


def _keep_and_announce(session: Session, row: FeePayment) -> None:
    """Insert the payment under its unique transaction and emit ``events.FEE_PAID``."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "This payment confirmation was already received", code=PaymentErrorCode.REPLAYED
        ) from exc
    outbox.emit(
        session,
        events.FEE_PAID,
        {
            "dossier_code": row.dossier_code,
            "amount_vnd": row.amount_vnd,
            "gateway": row.gateway,
            "transaction_id": row.transaction_id,
        },
    )


def paid_amount(session: Session, dossier_code: str) -> int:
    """What was paid for the dossier so far (0 if nothing)."""
    stmt = select(func.coalesce(func.sum(FeePayment.amount_vnd), 0)).where(
        FeePayment.dossier_code == dossier_code
    )
    return int(session.scalar(stmt) or 0)
