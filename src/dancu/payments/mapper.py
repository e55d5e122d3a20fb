"""Where the money goes: the G2P Connect "ID -> financial address" mapper pattern.

Since Circular 17/2024/TT-NHNN a payment account is bound to its holder's chip ID card, so a
bank can answer "whose ID number holds this account?" and "which accounts does this ID
number hold?". ``AccountDirectory`` is that question asked of the banks; the production
adapter talks to the banks' mapper, development and tests use ``simulated.BankNetwork``.
``verify_account`` accepts an account only with the beneficiary's consent and only if its
holder's ID number is the beneficiary's; otherwise the beneficiary is paid in cash through
the public postal service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from dancu.common.errors import ValidationFailed
from dancu.payments.errors import PaymentsErrorCode


@dataclass(frozen=True, slots=True)
class FinancialAddress:
    bank_code: str  # the bank's NAPAS code (BIN), e.g. 970405
    account_id: str  # a domestic account number (not an IBAN: Othr/Id in ISO 20022)
    holder_pid: str
    holder_name: str


class AccountDirectory(Protocol):
    """The banks' mapper, as payments needs it."""

    def lookup(self, bank_code: str, account_id: str) -> FinancialAddress | None:
        """The account and its holder, or None when the bank knows no such account."""

    def resolve(self, pid: str) -> list[FinancialAddress]:
        """The accounts bound to an ID number."""

    def bank_name(self, bank_code: str) -> str | None:
        """The bank's name, or None for a code no bank answers to."""

    def banks(self) -> dict[str, str]:
        """Code -> name of the banks that answer."""


def verify_account(
    directory: AccountDirectory | None,
    bank_code: str,
    account_id: str,
    pid: str,
    *,
    consent: bool,
) -> FinancialAddress:
    """The account, verified as the beneficiary's own (their consent, their ID number)."""
    if not consent:
        raise ValidationFailed(
            "The beneficiary's consent is needed to pay into a bank account",
            code=PaymentsErrorCode.ACCOUNT_CONSENT,
            field="consent",
        )
    if directory is None or directory.bank_name(bank_code) is None:
        raise ValidationFailed(
            "No bank answers to this code here",
            code=PaymentsErrorCode.BANK_UNAVAILABLE,
            field="bank_code",
        )
    found = directory.lookup(bank_code, account_id.strip())
    if found is None:
        raise ValidationFailed(
            "The bank knows no such account",
            code=PaymentsErrorCode.ACCOUNT_UNKNOWN,
            field="account_id",
        )
    if found.holder_pid != pid:
        raise ValidationFailed(
            "The account's holder is not this beneficiary (ID numbers differ)",
            code=PaymentsErrorCode.ACCOUNT_HOLDER_MISMATCH,
            field="account_id",
        )
    return found
