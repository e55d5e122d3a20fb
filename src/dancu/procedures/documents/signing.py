"""Results as signed PDFs (PAdES baseline B-B, pyHanko) and their verification.

``sign_result`` adds a PAdES signature by the issuing agency's key (``authority``) to a
result PDF: a CMS signature over the whole file with the signing certificate and its CA in
it, so any PDF reader's signature panel shows who signed and whether the file changed.
``verify_result`` answers the same questions here: who signed (the certificate's CN) for
which agency (its O), whether the signed bytes are intact and cover the whole file, whether
the certificate chains to a CA of the trust directory, and the signing time the signer put
in the signature. ``dancu procedures verify FILE`` prints that answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any, TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from dancu.procedures.documents import authority
from dancu.procedures.documents.errors import DocumentErrorCode

T = TypeVar("T")
FIELD_NAME = "KetQua"  # the signature field of a result ("kết quả")


@dataclass(frozen=True, slots=True)
class VerifyOutcome:
    """What a verifier learns from a signed result; ``code`` says why it is not valid."""

    valid: bool
    code: DocumentErrorCode | None = None
    signer: str = ""
    agency: str = ""
    intact: bool = False
    trusted: bool = False
    signed_at: datetime | None = None


def sign_result(
    pdf: bytes,
    credential: authority.Credential,
    *,
    reason: str = "Kết quả giải quyết thủ tục hành chính",
    location: str = "",
) -> bytes:
    """``pdf`` with the agency's PAdES signature appended (an incremental update)."""
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(credential.cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            credential.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(c) for c in credential.chain]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location or None,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    out = _outside_event_loop(signers.sign_pdf, writer, meta, signer=signer)
    return out.getvalue()


def verify_result(pdf: bytes, *, trust: Sequence[x509.Certificate] | None = None) -> VerifyOutcome:
    """Check the result's last signature against the trust directory (or ``trust``)."""
    roots = authority.trusted_roots() if trust is None else list(trust)
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError):
        return VerifyOutcome(False, DocumentErrorCode.NOT_PDF)
    if not signatures:
        return VerifyOutcome(False, DocumentErrorCode.UNSIGNED)
    context = ValidationContext(
        trust_roots=[_asn1_cert(c) for c in roots],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    try:
        status = _outside_event_loop(validate_pdf_signature, signatures[-1], context)
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError):
        return VerifyOutcome(False, DocumentErrorCode.ALTERED)
    subject = status.signing_cert.subject.native
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    outcome = {
        "signer": str(subject.get("common_name", "")),
        "agency": str(subject.get("organization_name", "")),
        "intact": bool(status.intact and status.valid),
        "trusted": bool(status.trusted),
        "signed_at": status.signer_reported_dt,
    }
    code = _first_problem(outcome["intact"], whole, outcome["trusted"])
    return VerifyOutcome(code is None, code, **outcome)  # type: ignore[arg-type]


def _first_problem(intact: bool, whole: bool, trusted: bool) -> DocumentErrorCode | None:
    if not intact:
        return DocumentErrorCode.ALTERED
    if not whole:
        return DocumentErrorCode.NOT_COVERED
    if not trusted:
        return DocumentErrorCode.UNTRUSTED
    return None


def _outside_event_loop(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """pyHanko's sync API runs its own event loop (``asyncio.run``), which a thread that
    already runs one (an async caller) may not start: such a caller's call runs in a
    thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work, *args, **kwargs).result()


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
