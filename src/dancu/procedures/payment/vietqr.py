"""VietQR: the bank-transfer QR every Vietnamese banking app scans (NAPAS, on EMVCo MPM).

The payload is EMVCo's merchant-presented QR: ID-length-value fields, with the merchant
account template 38 holding NAPAS's GUID ``A000000727``, the beneficiary's bank BIN and
account, and the service code ``QRIBFTTA`` (transfer to an account); the amount in VND
(currency 704); the dossier's transfer reference as the transfer's purpose (field 62,
sub-field 08), so the collecting agency can match the transfer to the dossier; and a
CRC-16/CCITT-FALSE over everything before it, ``6304`` included. ``qr_svg`` draws it as an
SVG for the payment page.

The reference (``reference``) is "HS" (hồ sơ) and the dossier code's digits, nothing else:
bank apps drop or replace punctuation and diacritics, some upper-case the content, and the
bank's statement adds its own words around it ("MBVCB.123.HS66001260302000042.CT tu ...").
``dossier_codes`` finds it again in such a description, as well as a dossier code typed
with its hyphen; which of the candidates is a dossier the statement import decides.
"""

from __future__ import annotations

import io
import re

import segno

from dancu.common.errors import ValidationFailed
from dancu.common.textfold import fold
from dancu.procedures.payment.errors import PaymentErrorCode

NAPAS_GUID = "A000000727"
TO_ACCOUNT = "QRIBFTTA"
VND = "704"
_BIN = re.compile(r"^\d{6}$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,19}$")
_PURPOSE = re.compile(r"^[\x20-\x7e]{1,25}$")  # printable ASCII: every app shows it as typed


_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")
# "hs" then the code's unit (2 or 5 digits) and number (12 or more), a separator allowed
# between them; or a code typed with its hyphen. Matched on folded (lowercase ASCII) text.
_PREFIXED = re.compile(r"(?<![a-z0-9])hs[\s.:#_-]*([0-9]{2,5})[\s.-]?([0-9]{12,})(?![0-9])")
_TYPED = re.compile(r"(?<![0-9])([0-9]{2}|[0-9]{5})-([0-9]{12,})(?![0-9])")
UNIT_LENGTHS = (2, 5)  # a province's or a commune's code leads a dossier code
NUMBER_DIGITS = 12


def reference(dossier_code: str) -> str:
    """What the citizen's transfer carries: "HS" and the code's letters and digits."""
    return "HS" + _NOT_ALNUM.sub("", dossier_code).upper()


def dossier_codes(description: str) -> set[str]:
    """The dossier codes a transfer's description may name (the import keeps those that
    are dossiers): from a reference however the bank app spaced or cased it, or a code."""
    text = fold(description)
    found = {f"{m.group(1)}-{m.group(2)}" for m in _TYPED.finditer(text)}
    for m in _PREFIXED.finditer(text):
        digits = m.group(1) + m.group(2)
        found |= {
            f"{digits[:n]}-{digits[n:]}" for n in UNIT_LENGTHS if len(digits) - n >= NUMBER_DIGITS
        }
    return found


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
