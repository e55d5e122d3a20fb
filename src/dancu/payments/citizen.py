"""A beneficiary's own view, for their e-ID account: what was paid, when, to which account.

The citizen reads their own data: no officer access to audit (the transparency log lists
who else read it)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dancu.payments import repository as repo
from dancu.payments.schemas import BeneficiaryOut, MyPaymentOut


def mask(account_id: str | None) -> str | None:
    """An account number with all but its last four digits hidden."""
    if not account_id:
        return None
    return "•••• " + account_id[-4:]


def my_payments(session: Session, pid: str) -> list[MyPaymentOut]:
    return [
        MyPaymentOut(
            programme=p.name,
            month=i.month,
            amount=i.amount,
            status=i.status,
            channel=i.channel,
            bank_code=i.bank_code,
            account_masked=mask(i.account_id),
            paid_on=i.paid_on,
            recovery=i.recovery,
        )
        for i, p in repo.instructions_of_pid(session, pid)
    ]


def my_programmes(session: Session, pid: str) -> list[tuple[str, BeneficiaryOut]]:
    return [
        (p.name, BeneficiaryOut.model_validate(b))
        for b, p in repo.beneficiaries_of_pid(session, pid)
    ]
