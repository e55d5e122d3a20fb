"""Who signs results: the provincial CA and the issuing agencies' signing certificates.

A province runs (or contracts) a certification authority that certifies its agencies'
signing keys; a verifier trusts the CA certificates found as PEM files in the trust
directory (setting ``procedures_ca_dir``). Each agency's certificate and private key live
beside it in ``<procedures_ca_dir>-keys/agency-<code>.pem`` (never in the trust directory,
never committed), put there by whoever provisions the agency's key.

With the development sign-in on (``DANCU_DEV_LOGIN``, which production refuses), a missing
key is created on first use, like the demo CSCA of the chip cards: a demo provincial CA
whose certificate goes into the trust directory and whose key goes into the key directory,
and an agency certificate issued by it. In production a missing key is an error.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dancu.common.errors import DancuError
from dancu.procedures.documents.errors import DocumentErrorCode
from dancu.settings import get_settings

DEMO_CA_FILE = "demo-provincial-ca.pem"
DEMO_CA_KEY_FILE = "demo-provincial-ca-key.pem"
_AGENCY_CODE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Credential:
    """A certificate, its private key, and the certificates between it and the root."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    chain: tuple[x509.Certificate, ...] = ()

    def pem(self) -> bytes:
        key = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        certs = b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in (self.cert, *self.chain)
        )
        return key + certs

    @classmethod
    def from_pem(cls, blob: bytes) -> Credential:
        key = serialization.load_pem_private_key(blob, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("an agency key must be an EC key")
        cert, *chain = x509.load_pem_x509_certificates(blob)
        return cls(cert, key, tuple(chain))


class NoSigningKey(DancuError):
    status_code = 409
    code = DocumentErrorCode.NO_SIGNING_KEY


def trust_dir() -> Path:
    return Path(get_settings().procedures_ca_dir)


def key_dir() -> Path:
    directory = trust_dir()
    return directory.with_name(directory.name + "-keys")


def trusted_roots(directory: Path | None = None) -> list[x509.Certificate]:
    """The CA certificates of the trust directory (none if it does not exist)."""
    directory = directory or trust_dir()
    if not directory.is_dir():
        return []
    certs: list[x509.Certificate] = []
    for path in sorted(p for p in directory.iterdir() if p.suffix in {".pem", ".crt"}):
        certs.extend(x509.load_pem_x509_certificates(path.read_bytes()))
    return certs


def agency_signer(agency_code: str, agency_name: str, province_name: str = "") -> Credential:
    """The agency's signing credential; created under the demo CA in development only."""
    if not _AGENCY_CODE.match(agency_code):
        raise ValueError(f"not an agency code: {agency_code!r}")
    path = key_dir() / f"agency-{agency_code}.pem"
    if path.is_file():
        return Credential.from_pem(path.read_bytes())
    if not get_settings().dev_login:
        raise NoSigningKey(
            f"The agency {agency_code} has no signing key in {key_dir()}", field="agency"
        )
    with _creating():  # two workers must not make two demo CAs, or two keys for one agency
        if path.is_file():
            return Credential.from_pem(path.read_bytes())
        credential = issue_agency(demo_ca(province_name), agency_name, province_name)
        _write_private(path, credential.pem())
        return credential


def demo_ca(province_name: str = "") -> Credential:
    """The demo provincial CA, created once: certificate trusted, key kept apart (callers
    that may race hold ``_creating``)."""
    key_path = key_dir() / DEMO_CA_KEY_FILE
    if key_path.is_file():
        return Credential.from_pem(key_path.read_bytes())
    ca = make_ca(f"CA chuyên dùng demo {province_name}".strip())
    _write_private(key_path, ca.pem())
    trust_dir().mkdir(parents=True, exist_ok=True)
    (trust_dir() / DEMO_CA_FILE).write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    return ca


def make_ca(name: str, *, years: int = 10) -> Credential:
    """A self-signed CA certificate that may certify signing keys (and nothing below them)."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.now(UTC) - timedelta(days=1)
    subject = _name(name, "dancu demo PKI")
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return Credential(cert, key)


def issue_agency(
    ca: Credential, agency_name: str, province_name: str = "", *, days: int = 3 * 365
) -> Credential:
    """A signing certificate for the agency: CN and O are its name, ST its province."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.now(UTC) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(agency_name, agency_name, province_name))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(min(start + timedelta(days=days), ca.cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(ca.key, hashes.SHA256())
    )
    return Credential(cert, key, (ca.cert,))


def _name(common_name: str, organization: str, province: str = "") -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if province:
        parts.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, province))
    parts += [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    return x509.Name(parts)


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@contextmanager
def _creating() -> Iterator[None]:
    """An exclusive lock on the key directory (a file lock: workers are processes)."""
    key_dir().mkdir(parents=True, exist_ok=True)
    with (key_dir() / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_private(path: Path, blob: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(blob)
    tmp.chmod(0o600)
    tmp.replace(path)
