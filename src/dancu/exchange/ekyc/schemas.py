"""The eKYC request and answer.

The bank's app reads the chip (NFC, after BAC/PACE with the card's MRZ) and sends EF.SOD,
DG1 and DG2 as base64, with what the customer claims to be and the attributes the customer
agreed to share with the bank. The answer is a JWS signed with the platform's eKYC key
(``GET /exchange/ekyc/jwks``); ``result`` repeats its payload for convenience.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from dancu.common.bounds import Text
from dancu.common.errors import ValidationFailed
from dancu.exchange.errors import ExchangeErrorCode

# What a bank may receive (the exchange's field names, ``partners/purposes.py``: the
# ``bank_ekyc`` purpose's list); the partner's grant and the customer's consent narrow it.
Attribute = Literal[
    "pid",
    "full_name",
    "birth_date",
    "sex",
    "nationality",
    "ethnicity",
    "permanent_address",
    "alive",
    "card_valid",
]
ATTRIBUTES: tuple[str, ...] = Attribute.__args__  # type: ignore[attr-defined]

# base64 sizes: EF.SOD and DG1 are small; DG2 holds a JPEG/JPEG 2000 portrait.
_B64 = r"^[A-Za-z0-9+/=\s]*$"
Sod = Annotated[str, StringConstraints(min_length=4, max_length=64 * 1024, pattern=_B64)]
Dg1 = Annotated[str, StringConstraints(min_length=4, max_length=2 * 1024, pattern=_B64)]
Dg2 = Annotated[str, StringConstraints(min_length=4, max_length=512 * 1024, pattern=_B64)]
Photo = Annotated[str, StringConstraints(min_length=4, max_length=2 * 1024 * 1024, pattern=_B64)]
Pid = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]


class ClaimedIn(BaseModel):
    """What the customer says they are; ``pid`` is required, the rest compared if given."""

    model_config = ConfigDict(extra="forbid")

    pid: Pid
    full_name: Annotated[Text | None, Field(max_length=120)] = None
    birth_date: date | None = None
    sex: Literal["M", "F"] | None = None


class EkycIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sod: Sod
    dg1: Dg1
    dg2: Dg2
    claimed: ClaimedIn
    # The attributes the customer agreed to share with the bank (none: only the verdict).
    attributes: Annotated[list[Attribute], Field(max_length=len(ATTRIBUTES))] = []
    live_photo: Photo | None = None
    printed_mrz: Annotated[str | None, StringConstraints(max_length=100)] = None

    def chip(self) -> tuple[bytes, dict[int, bytes]]:
        """EF.SOD and the data groups as bytes (``ekyc.chip_unreadable`` if not base64)."""
        return _b64(self.sod, "sod"), {1: _b64(self.dg1, "dg1"), 2: _b64(self.dg2, "dg2")}

    def photo(self) -> bytes | None:
        return _b64(self.live_photo, "live_photo") if self.live_photo else None


def _b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(
            f"{field} is not base64", code=ExchangeErrorCode.EKYC_CHIP_UNREADABLE, field=field
        ) from exc


class EkycOut(BaseModel):
    """``jws``: the signed result (compact JWS, ``typ`` ``ekyc-result+jwt``); ``result``:
    its payload, decoded for convenience (trust the signature, not this copy)."""

    verdict: Literal["verified", "mismatch"]
    jws: str
    result: dict[str, Any]
