"""VietQR: the bank-transfer QR every Vietnamese banking app scans (NAPAS, on EMVCo MPM).

The payload is EMVCo's merchant-presented QR: ID-length-value fields, with the merchant
account template 38 holding NAPAS's GUID ``A000000727``, the beneficiary's bank BIN and
account, and the service code ``QRIBFTTA`` (transfer to an account); the amount in VND
(currency 704); the dossier code as the transfer's purpose (field 62, sub-field 08), so the
treasury can match the transfer to the dossier; and a CRC-16/CCITT-FALSE over everything
before it, ``6304`` included. ``qr_svg`` draws it as an SVG for the payment page.
"""

from __future__ import annotations

import io
import re

import segno

from dancu.common.errors import ValidationFailed
from dancu.procedures.payment.errors import PaymentErrorCode

NAPAS_GUID = "A000000727"
TO_ACCOUNT = "QRIBFTTA"
VND = "704"
_BIN = re.compile(r"^\d{6}$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,19}$")
_PURPOSE = re.compile(r"^[\x20-\x7e]{1,25}$")  # printable ASCII: every app shows it as typed


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF), as EMVCo QR asks."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"EMVCo field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def payload(bank_bin: str, account: str, amount_vnd: int, purpose: str) -> str:
    """The VietQR string for a transfer of ``amount_vnd`` to ``account`` at bank ``bank_bin``
    with ``purpose`` (the dossier code) as its content."""
    if not _BIN.match(bank_bin) or not _ACCOUNT.match(account):
        raise ValidationFailed(
            "The payee's bank BIN or account is not valid", code=PaymentErrorCode.ACCOUNT
        )
    if not _PURPOSE.match(purpose):
        raise ValidationFailed(
            "The transfer purpose must be 1 to 25 printable ASCII characters",
            code=PaymentErrorCode.PURPOSE,
            field="purpose",
        )
    if not 0 < amount_vnd < 10**13:
        raise ValidationFailed(
            "The amount must be a positive number of đồng",
            code=PaymentErrorCode.AMOUNT,
            field="amount",
        )
    beneficiary = tlv("00", bank_bin) + tlv("01", account)
    merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", TO_ACCOUNT)
    body = (
        tlv("00", "01")  # payload format indicator
        + tlv("01", "12")  # dynamic: this QR is for one payment of one amount
        + tlv("38", merchant)
        + tlv("53", VND)
        + tlv("54", str(amount_vnd))
        + tlv("58", "VN")
        + tlv("62", tlv("08", purpose))
        + "6304"
    )
    return body + f"{crc16_ccitt(body.encode('ascii')):04X}"


def qr_svg(data: str, *, title: str = "VietQR") -> str:
    """The QR code of ``data`` as an inline SVG element (no XML declaration, no script)."""
    out = io.BytesIO()
    segno.make(data, error="m").save(
        out, kind="svg", scale=5, border=4, xmldecl=False, title=title, svgclass="vietqr"
    )
    return out.getvalue().decode("utf-8")
