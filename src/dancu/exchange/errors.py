"""Every error code the exchange domain raises, declared once (the API's stable codes).

Each has a Vietnamese message in the translations; ``tests/architecture/test_error_codes.py``
fails on a code without one.
"""

from __future__ import annotations

from enum import StrEnum


class ExchangeErrorCode(StrEnum):
    """The exchange domain's error codes (a ``str``: compare and serialize as the code)."""

    # Bank eKYC with the chip (exchange/ekyc)
    EKYC_CARD_EXPIRED = "ekyc.card_expired"
    EKYC_CARD_LOST = "ekyc.card_lost"
    EKYC_CARD_REVOKED = "ekyc.card_revoked"
    EKYC_CARD_SUPERSEDED = "ekyc.card_superseded"
    EKYC_CARD_UNKNOWN = "ekyc.card_unknown"
    EKYC_CHIP_MISMATCH = "ekyc.chip_mismatch"
    EKYC_CHIP_UNREADABLE = "ekyc.chip_unreadable"
    EKYC_CITIZEN_DECEASED = "ekyc.citizen_deceased"
    EKYC_CITIZEN_NOT_FOUND = "ekyc.citizen_not_found"
    # Customer-record cleaning for banks (exchange/cleaning)
    CLEANING_JOB_NOT_FOUND = "cleaning.job_not_found"
    CLEANING_NOT_READY = "cleaning.not_ready"
    CLEANING_TOO_MANY_ROWS = "cleaning.too_many_rows"
    # The GovStack Digital Registries door (exchange/registries)
    REGISTRIES_UNKNOWN_REGISTRY = "registries.unknown_registry"
    REGISTRIES_BAD_QUERY = "registries.bad_query"
    REGISTRIES_NOT_ALLOWED = "registries.not_allowed"
    REGISTRIES_MEDIATOR_CLIENT = "registries.mediator_client"
    REGISTRIES_UNKNOWN_SERVICE = "registries.unknown_service"
