"""The trust list of chip verification: CSCA certificates, and the document-signer checks.

A country signing CA (CSCA) issues document-signer (DS) certificates; each chip's EF.SOD
is signed by a DS key. The trust list is a master-list-like set of CSCA certificates read
from PEM files (setting ``identity_csca_dir``). ``check_signer`` says whether a DS
certificate was issued by one of them, is inside its validity period (and so is the CSCA),
and has the key usages ICAO 9303 Part 12 asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtensionOID


@dataclass(frozen=True, slots=True)
class TrustList:
    """The CSCA certificates a verifier trusts."""

    cscas: tuple[x509.Certificate, ...]

    @classmethod
    def from_pem(cls, *blobs: bytes) -> TrustList:
        certs: list[x509.Certificate] = []
        for blob in blobs:
            certs.extend(x509.load_pem_x509_certificates(blob))
        return cls(tuple(certs))

    @classmethod
    def from_dir(cls, directory: Path) -> TrustList:
        """Every ``*.pem`` / ``*.crt`` file in ``directory`` (none if it does not exist)."""
        if not directory.is_dir():
            return cls(())
        files = sorted(p for p in directory.iterdir() if p.suffix in {".pem", ".crt"})
        return cls.from_pem(*(p.read_bytes() for p in files))


class SignerRejected(Exception):
    """The document signer does not chain to the trust list; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_signer(ds: x509.Certificate, trust: TrustList, *, at: datetime) -> x509.Certificate:
    """The CSCA that issued ``ds``, after every check; raises ``SignerRejected`` otherwise."""
    issuer = _issuer(ds, trust)
    for cert, role in ((ds, "document signer"), (issuer, "CSCA")):
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            raise SignerRejected(
                "chip.certificate_expired", f"The {role} certificate is not valid at {at:%Y-%m-%d}"
            )
    if not _key_usage(ds, "digital_signature"):
        raise SignerRejected("chip.key_usage", "The document signer may not sign documents")
    if not _key_usage(issuer, "key_cert_sign") or not _is_ca(issuer):
        raise SignerRejected("chip.key_usage", "The CSCA may not sign certificates")
    return issuer


def _issuer(ds: x509.Certificate, trust: TrustList) -> x509.Certificate:
    for csca in trust.cscas:
        if csca.subject != ds.issuer:
            continue
        try:
            ds.verify_directly_issued_by(csca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return csca
    raise SignerRejected(
        "chip.untrusted_signer", "The document signer was not issued by a trusted CSCA"
    )


def _key_usage(cert: x509.Certificate, usage: str) -> bool:
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    except x509.ExtensionNotFound:
        return False
    return bool(getattr(ext, usage))


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value.ca
    except x509.ExtensionNotFound:
        return False
