"""Every error code the exchange domain raises, declared once (the API's stable codes)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from dancu.common.errors import DancuError


class ExchangeErrorCode(StrEnum):
    """The exchange's error codes (a ``str``: compare and serialize as the code)."""

    CITIZEN_DECEASED = "exchange.citizen_deceased"
    CITIZEN_NOT_FOUND = "exchange.citizen_not_found"
    CONSENT_DECIDED = "exchange.consent_decided"
    CONSENT_NOT_FOUND = "exchange.consent_not_found"
    CONSENT_REQUIRED = "exchange.consent_required"
    CREDENTIAL_EXPIRED = "exchange.credential_expired"
    CREDENTIAL_NOT_FOUND = "exchange.credential_not_found"
    CREDENTIAL_REVOKED = "exchange.credential_revoked"
    CREDENTIAL_ROTATED = "exchange.credential_rotated"
    FIELD_NOT_ALLOWED = "exchange.field_not_allowed"
    FIELD_UNKNOWN = "exchange.field_unknown"
    IMPORT_FILE = "exchange.import_file"
    INSURANCE_CARD = "exchange.insurance_card"
    KIOSK_UNKNOWN = "exchange.kiosk_unknown"
    LOG_BROKEN = "exchange.log_broken"
    PARTNER_EXISTS = "exchange.partner_exists"
    PARTNER_KIND = "exchange.partner_kind"
    PARTNER_NOT_FOUND = "exchange.partner_not_found"
    PARTNER_SUSPENDED = "exchange.partner_suspended"
    PURPOSE_NOT_GRANTED = "exchange.purpose_not_granted"
    RATE_LIMITED = "exchange.rate_limited"
    REVIEW_NOT_FOUND = "exchange.review_not_found"
    SCAN_UNREADABLE = "exchange.scan_unreadable"
    SUBJECT_UNKNOWN = "exchange.subject_unknown"
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


class RateLimited(DancuError):
    """Too many requests (HTTP 429); ``Retry-After`` says when to try again."""

    status_code = 429
    code = ExchangeErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: int, **params: Any) -> None:
        super().__init__(message, code=ExchangeErrorCode.RATE_LIMITED, retry_after=retry_after)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}
