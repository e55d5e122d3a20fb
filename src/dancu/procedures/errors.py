"""Every error code the procedures domain raises, declared once (the API's stable codes).

Each has a Vietnamese message in the translations; ``tests/architecture/test_error_codes.py``
fails on a code without one, and on a ``code="..."`` literal anywhere outside this module.
"""

from __future__ import annotations

from enum import StrEnum

# The sub-packages' own codes, listed here so the domain's checks see them too.
from dancu.procedures.documents.errors import DocumentErrorCode
from dancu.procedures.payment.errors import EntryOutcome, PaymentErrorCode

__all__ = ["DocumentErrorCode", "EntryOutcome", "PaymentErrorCode", "ProcedureErrorCode"]


class ProcedureErrorCode(StrEnum):
    """The procedures domain's error codes (a ``str``: compare and serialize as the code)."""

    CATALOGUE_INVALID = "procedures.catalogue_invalid"
    PROCEDURE_NOT_FOUND = "procedures.not_found"
    DOSSIER_NOT_FOUND = "procedures.dossier_not_found"
    FIELD_REQUIRED = "procedures.field_required"
    FIELD_INVALID = "procedures.field_invalid"
    COMPONENT_MISSING = "procedures.component_missing"
    FILE_TYPE = "procedures.file_type"
    FILE_TOO_LARGE = "procedures.file_too_large"
    FILE_EMPTY = "procedures.file_empty"
    LEVEL_REQUIRED = "procedures.level_required"
    NO_CITIZEN = "procedures.no_citizen"
    ALREADY_SUBMITTED = "procedures.already_submitted"
    TRANSITION = "procedures.transition"
    LOCKED = "procedures.locked"
    OUTSIDE_UNIT = "procedures.outside_unit"
    WRONG_AGENCY = "procedures.wrong_agency"
    REASON_REQUIRED = "procedures.reason_required"
    WITHDRAWN = "procedures.withdrawn"
    RATING_INVALID = "procedures.rating_invalid"
    RATING_TWICE = "procedures.rating_twice"
    PAYMENT_AMOUNT = "procedures.payment_amount"
    PAYMENT_NOT_DUE = "procedures.payment_not_due"
    DELIVERY_INVALID = "procedures.delivery_invalid"
    DAY_INVALID = "procedures.day_invalid"
    OFFICER_UNKNOWN = "procedures.officer_unknown"
