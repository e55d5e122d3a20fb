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
