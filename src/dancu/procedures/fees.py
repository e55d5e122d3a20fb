"""The fee of a dossier (the catalogue's amount, its choices, reductions and exemptions)
and its state once a payment adapter confirms it (``mark_paid``: checked for the dossier
and the amount).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.common.errors import (
    Conflict,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from dancu.db import utcnow
from dancu.procedures import repository as repo
from dancu.procedures.catalogue import Procedure
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.models import Dossier, DossierHistory
from dancu.procedures.schemas import FeeOptions


def fee_for(
    procedure: Procedure, options: FeeOptions, *, channel: str, form: dict[str, str]
) -> int:
    """The fee in VND: online or counter amount (per copy when it is charged so), plus the
    chosen extras; a reduced category replaces it, an exemption makes it nothing."""
    fee = procedure.fee
    if options.reduction and options.reduction in fee.exemptions:
        return 0
    amount = procedure.fee_online if channel in ("online", "npsp") else fee.amount
    if options.reduction and options.reduction in fee.reduced:
        amount = fee.reduced[options.reduction]
    if fee.per_copy is not None and form.get("copies", "").isdigit():
        amount = fee.per_copy * max(1, int(form["copies"]))
    extras = {c.key: c.amount for c in fee.choices}
    for choice in options.choices:
        if choice not in extras:
            raise ValidationFailed(
                "Unknown fee choice", code=ProcedureErrorCode.FIELD_INVALID, field="fee_choices"
            )
        amount += extras[choice]
    return amount


def mark_paid(
    session: Session, dossier_code: str, amount: int, reference: str, *, actor: Actor
) -> Dossier:
    """Record a confirmed payment (the payment adapter calls this once it has checked the
    gateway's signature): the dossier must exist, owe a fee, and ``amount`` must be exactly
    the fee. Paying twice with the same reference is a no-op; another reference, a 409."""
    dossier = repo.by_code(session, dossier_code)
    if dossier is None:
        raise NotFound(
            "No such dossier", code=ProcedureErrorCode.DOSSIER_NOT_FOUND, field="dossier"
        )
    if dossier.fee_state == "paid":
        if dossier.paid_reference == reference and dossier.paid_amount == amount:
            return dossier
        raise Conflict(
            "The dossier is already paid", code=ProcedureErrorCode.PAYMENT_NOT_DUE, field="dossier"
        )
    if dossier.fee_state != "unpaid" or dossier.status in ("draft", "withdrawn", "rejected"):
        raise InvalidState(
            "This dossier owes no fee", code=ProcedureErrorCode.PAYMENT_NOT_DUE, field="dossier"
        )
    if amount != dossier.fee_amount:
        raise ValidationFailed(
            "The amount paid is not the fee",
            code=ProcedureErrorCode.PAYMENT_AMOUNT,
            field="amount",
            expected=dossier.fee_amount,
        )
    now = utcnow()
    result = session.execute(
        update(Dossier)
        .where(Dossier.id == dossier.id, Dossier.fee_state == "unpaid")
        .values(fee_state="paid", paid_amount=amount, paid_reference=reference[:80], paid_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "The dossier is already paid", code=ProcedureErrorCode.PAYMENT_NOT_DUE, field="dossier"
        )
    session.add(
        DossierHistory(
            dossier_id=dossier.id,
            at=now,
            actor_id=actor.id,
            action="paid",
            from_status=dossier.status,
            to_status=dossier.status,
            note=reference[:500],
        )
    )
    session.flush()
    session.refresh(dossier)
    return dossier
