"""Passive authentication of a chip ID card (ICAO Doc 9303 Part 11, section 5.1).

``verify_chip`` takes what a reader got from the chip (EF.SOD and the data groups) and
answers with a ``ChipResult``: valid, or the first check that failed under a stable code.
In order:

1. ``chip.sod_format``       EF.SOD is CMS SignedData over an LDSSecurityObject
2. ``chip.content_digest``   the signed ``messageDigest`` is the hash of that content
3. ``chip.signature``        the document signer's signature over the signed attributes
4. ``chip.untrusted_signer`` the signer's certificate was issued by a CSCA of the trust list
   ``chip.certificate_expired`` / ``chip.key_usage``  validity periods and key usages
5. ``chip.dg_missing`` / ``chip.dg_hash_mismatch``  DG1 and DG2 hash to the SOD's values
6. ``chip.dg1_format`` / ``chip.mrz_mismatch``  DG1's MRZ reads, and equals the printed one
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asn1crypto import cms
from asn1crypto.x509 import Name
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from dancu.common.errors import ValidationFailed
from dancu.identity.chip.mrz import Td1, parse_td1
from dancu.identity.chip.pki import SignerRejected, TrustList, check_signer
from dancu.identity.chip.sod import (
    LDSSecurityObject,
    SodFormatError,
    data_group_hashes,
    decode_dg1,
    security_object,
    unwrap_sod,
)

REQUIRED_GROUPS = (1, 2)
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


@dataclass(frozen=True, slots=True)
class ChipResult:
    """The verdict: ``valid``, or the failing check's ``code`` (and data group, if any)."""

    valid: bool
    code: str | None = None
    message: str = ""
    data_group: int | None = None
    mrz: Td1 | None = None
    signer: str | None = None  # the document signer's subject, once its signature checked out
    passed: tuple[str, ...] = field(default=())


class ChipFailure(ValidationFailed):
    """One check failed (raised inside this module, returned as a ``ChipResult``)."""


def verify_chip(
    sod: bytes,
    data_groups: dict[int, bytes],
    trust: TrustList,
    *,
    at: datetime | None = None,
    printed_mrz: str | None = None,
) -> ChipResult:
    """Passive authentication of EF.SOD + data groups against ``trust`` at time ``at``."""
    at = at or datetime.now(UTC)
    passed: list[str] = []
    signer: str | None = None
    try:
        signed, raw, lds = _parse(sod)
        passed.append("sod_format")
        ds, signer = _check_signature_of(signed, raw)
        passed += ["content_digest", "signature"]
        _check_chain(ds, trust, at)
        passed.append("certificate_chain")
        _check_hashes(lds, data_groups)
        passed.append("data_group_hashes")
        mrz = _check_mrz(data_groups[1], printed_mrz)
        passed.append("mrz")
    except ChipFailure as exc:
        return ChipResult(
            False, exc.code, exc.message, exc.params.get("data_group"), None, signer, tuple(passed)
        )
    return ChipResult(True, None, "", None, mrz, signer, tuple(passed))


def _fail(code: str, message: str, **params: int) -> ChipFailure:
    return ChipFailure(message, code=code, field="chip", **params)


def _parse(sod: bytes) -> tuple[cms.SignedData, bytes, LDSSecurityObject]:
    try:
        signed = unwrap_sod(sod)
        raw, lds = security_object(signed)
        signers = len(signed["signer_infos"])
    except (SodFormatError, ValueError, TypeError, KeyError) as exc:  # parsed lazily
        raise _fail("chip.sod_format", f"EF.SOD is malformed: {exc}") from exc
    if signers != 1:
        raise _fail("chip.sod_format", "EF.SOD must have exactly one signer")
    return signed, raw, lds


def _check_signature_of(signed: cms.SignedData, raw: bytes) -> tuple[x509.Certificate, str]:
    """``_check_signature``, with a field the lazy parse finds malformed (asn1crypto's
    ``ValueError``, ``TypeError`` or ``KeyError``, or a certificate ``cryptography`` cannot
    load) reported as a malformed EF.SOD."""
    try:
        cert = _check_signature(signed, raw)
        return cert, cert.subject.rfc4514_string()  # parsed lazily too
    except ChipFailure:
        raise
    except (ValueError, TypeError, KeyError, x509.InvalidVersion, UnsupportedAlgorithm) as exc:
        raise _fail("chip.sod_format", f"EF.SOD is malformed: {exc}") from exc


def _check_signature(signed: cms.SignedData, raw: bytes) -> x509.Certificate:
    info = signed["signer_infos"][0]
    cert = _signer_certificate(signed, info)
    digest_name = info["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        raise _fail("chip.sod_format", f"Unsupported digest algorithm {digest_name}")
    attrs = info["signed_attrs"]
    if not attrs:
        raise _fail("chip.sod_format", "EF.SOD has no signed attributes")
    digests = [a["values"][0].native for a in attrs if a["type"].native == "message_digest"]
    if len(digests) != 1 or digests[0] != _digest(digest_name, raw):
        raise _fail("chip.content_digest", "The signed digest is not the content's digest")
    # The signature covers the attributes DER-encoded as a SET (tag 0x31), not as [0].
    signed_bytes = b"\x31" + attrs.dump()[1:]
    _verify(cert, info, signed_bytes)
    return cert


def _signer_certificate(signed: cms.SignedData, info: cms.SignerInfo) -> x509.Certificate:
    sid = info["sid"]
    for choice in signed["certificates"] or []:
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            match = sid.chosen["serial_number"].native == cert.serial_number and _same_name(
                sid.chosen["issuer"], cert.issuer
            )
        else:
            match = sid.chosen.native == cert.key_identifier
        if match:
            return x509.load_der_x509_certificate(cert.dump())
    raise _fail("chip.sod_format", "EF.SOD does not carry its signer's certificate")


def _same_name(a: Name, b: Name) -> bool:
    """Two X.501 names equal: the same DER bytes (the usual case: the SOD copies the
    certificate's issuer), or equal under RFC 5280's comparison (string preparation,
    case), which asn1crypto's ``Name.__eq__`` does and which costs a few milliseconds."""
    return bool(a.dump() == b.dump() or a == b)


def _verify(cert: x509.Certificate, info: cms.SignerInfo, data: bytes) -> None:
    algorithm = info["signature_algorithm"]
    signature = info["signature"].native
    key = cert.public_key()
    try:
        kind = algorithm.signature_algo
        hash_cls = _HASHES[_hash_name(algorithm, info)]
        if kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hash_cls()))
        elif kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hash_cls())
        elif kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            salt = algorithm["parameters"]["salt_length"].native
            key.verify(signature, data, padding.PSS(padding.MGF1(hash_cls()), salt), hash_cls())
        else:
            raise _fail("chip.sod_format", f"Unsupported signature algorithm {kind}")
    except (InvalidSignature, ValueError) as exc:
        raise _fail("chip.signature", "The document signer's signature does not verify") from exc
    except (KeyError, UnsupportedAlgorithm) as exc:
        raise _fail("chip.sod_format", "Unsupported signature algorithm") from exc


def _hash_name(algorithm: cms.SignedDigestAlgorithm, info: cms.SignerInfo) -> str:
    """The signature's hash: named by the algorithm (sha256_ecdsa, PSS parameters) or else
    by the signer's digest algorithm (plain ``rsassa_pkcs1v15`` / ``ecdsa`` OIDs)."""
    try:
        return algorithm.hash_algo  # type: ignore[no-any-return]
    except ValueError:
        return info["digest_algorithm"]["algorithm"].native  # type: ignore[no-any-return]


def _check_chain(ds: x509.Certificate, trust: TrustList, at: datetime) -> None:
    try:
        check_signer(ds, trust, at=at)
    except SignerRejected as exc:
        raise _fail(exc.code, exc.message) from exc


def _check_hashes(lds: LDSSecurityObject, data_groups: dict[int, bytes]) -> None:
    expected = data_group_hashes(lds)
    algorithm = lds["hash_algorithm"]["algorithm"].native
    if algorithm not in _HASHES:
        raise _fail("chip.sod_format", f"Unsupported data-group hash algorithm {algorithm}")
    for number in sorted({*REQUIRED_GROUPS, *data_groups}):
        if number not in data_groups or number not in expected:
            raise _fail("chip.dg_missing", f"DG{number} is missing", data_group=number)
        if _digest(algorithm, data_groups[number]) != expected[number]:
            raise _fail(
                "chip.dg_hash_mismatch",
                f"DG{number} does not match its hash in EF.SOD",
                data_group=number,
            )


def _check_mrz(dg1: bytes, printed: str | None) -> Td1:
    try:
        zone = decode_dg1(dg1)
        mrz = parse_td1(zone)
    except (SodFormatError, ValidationFailed) as exc:
        raise _fail("chip.dg1_format", f"DG1 does not hold a valid TD1 MRZ: {exc}") from exc
    if printed is not None and "".join(printed.split()) != "".join(zone.split()):
        raise _fail("chip.mrz_mismatch", "The chip's MRZ differs from the card's printed MRZ")
    return mrz


def _digest(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()
