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
    # An officer's decision on an entry under review, refused (nothing changes).
    ENTRY_NOT_FOUND = "payment.entry_not_found"  # none such in the officer's units
    ENTRY_SETTLED = "payment.entry_settled"  # decided already, or it paid a dossier
    DECISION = "payment.decision"  # none of apply, refund, ignore was chosen
    REASON_REQUIRED = "payment.reason_required"  # no reason (blank)
    REFUND_REFERENCE = "payment.refund_reference"  # over 35 characters
    APPLY_NOT_CREDIT = "payment.apply_not_credit"  # a debit, not booked, another currency
    APPLY_DOSSIER = "payment.apply_dossier"  # no dossier code given, or no such dossier
    APPLY_OUTSIDE_UNIT = "payment.apply_outside_unit"
    APPLY_PAID = "payment.apply_paid"
    APPLY_NOT_DUE = "payment.apply_not_due"  # withdrawn, rejected, a draft, or no fee
    APPLY_AMOUNT = "payment.apply_amount"  # not the fee: it is refunded, never applied
    REFUND_NOT_CREDIT = "payment.refund_not_credit"  # a debit: no money came in


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
    # A booked debit whose bank reference is the refund an officer recorded on a transfer
    # under review (``review.resolve``, "refund"): the money going back, settled already.
    REFUND = "payment.entry_refund"
