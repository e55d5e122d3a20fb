"""The codes of the slips and signed results: errors raised, and why a result does not verify.

Declared here until the ``procedures`` domain's own ``errors.py`` lists them; each is listed
in ``web/codes.py`` and has its Vietnamese message in the translations
(``tests/procedures/test_signing.py`` checks that).
"""

from __future__ import annotations

from enum import StrEnum


class DocumentErrorCode(StrEnum):
    """Why a result cannot be signed, or why a signed result does not verify."""

    NO_SIGNING_KEY = "result.no_signing_key"
    NOT_PDF = "result.not_pdf"
    UNSIGNED = "result.unsigned"
    ALTERED = "result.altered"
    UNTRUSTED = "result.untrusted"
    NOT_COVERED = "result.not_covered"
