"""The payment codes, declared once: why a fee confirmation or a payment order is refused.

Declared here until the ``procedures`` domain's own ``errors.py`` lists them; each is listed
in ``web/codes.py`` and has its Vietnamese message in the translations
(``tests/procedures/test_payment.py`` checks that).
"""

from __future__ import annotations

from enum import StrEnum


class PaymentErrorCode(StrEnum):
    """Why a fee confirmation (or a VietQR order) is refused."""

    MALFORMED = "payment.malformed"
    SIGNATURE = "payment.signature"
    AMOUNT = "payment.amount"
    DOSSIER = "payment.dossier"
    REPLAYED = "payment.replayed"
    GATEWAY_UNKNOWN = "payment.gateway_unknown"
    PURPOSE = "payment.purpose"
    ACCOUNT = "payment.account"
    # A bank statement refused whole (nothing imported).
    STATEMENT_ACCOUNT = "payment.statement_account"
    STATEMENT_CURRENCY = "payment.statement_currency"


class EntryOutcome(StrEnum):
    """Why an entry of an imported statement paid no dossier: it waits for an officer's
    review (these are reported, never raised; "matched" is the only other outcome)."""

    DUPLICATE = "payment.entry_duplicate"
    NO_ID = "payment.entry_no_id"
    DEBIT = "payment.entry_debit"
    NOT_BOOKED = "payment.entry_not_booked"
    CURRENCY = "payment.entry_currency"
    NO_REFERENCE = "payment.entry_no_reference"
    UNKNOWN_DOSSIER = "payment.entry_unknown_dossier"
    AMBIGUOUS = "payment.entry_ambiguous"
    OUTSIDE_UNIT = "payment.entry_outside_unit"
    ALREADY_PAID = "payment.entry_already_paid"
    NOT_DUE = "payment.entry_not_due"
    AMOUNT = "payment.entry_amount"
