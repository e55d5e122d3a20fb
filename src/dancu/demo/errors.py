"""Every error code the demo domain raises, declared once (the API's stable codes).

Each has a Vietnamese message in the translations; ``tests/architecture/test_error_codes.py``
fails on a code without one, and on a ``code="..."`` literal anywhere outside this module.
"""

from __future__ import annotations

from enum import StrEnum


class DemoErrorCode(StrEnum):
    """The demo domain's error codes (a ``str``: compare and serialize as the code)."""

    CHIP_DEMO_OFF = "chip.demo_off"
    CHIP_FORBIDDEN = "chip.forbidden"
    CHIP_NO_CARD = "chip.no_card"
    WALLET_DEMO_OFF = "wallet.demo_off"
    WALLET_LEVEL2_REQUIRED = "wallet.level2_required"
