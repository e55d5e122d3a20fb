"""Audit log archives (ADR 0010): a past month's sealed entries in a signed file.

``archive_month`` exports a past month's sealed entries, in chain order, to a gzip
JSON-lines file whose trailer carries the count, the SHA-256 of the lines and an Ed25519
signature of them, with a key derived from ``DANCU_SECRET_KEY``. Its public half
(``public_key_pem``, printed by ``dancu audit archive-key``) lets an inspector outside the
platform check an archive with nothing else (``dancu audit check-archive FILE --public-key
PEM``). ``check_archive`` reads a file back whole; ``audit_chain.verify(archives=...)``
walks the chain through the files and the live table, so the chain stays verifiable once a
month leaves the database. Archives of the first format (an HMAC, which only the server
could check) are still read.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.audit import AuditEntry, _timestamp
from dancu.db import utcnow
from dancu.settings import get_settings

ARCHIVE_FORMAT = "dancu-audit-archive/2"  # trailer signed with Ed25519
_HMAC_FORMAT = "dancu-audit-archive/1"  # trailer with an HMAC: still read
_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "organization",
    "purpose",
    "action",
    "subject_type",
    "subject_id",
    "fields",
    "seq",
    "prev_hash",
    "hash",
)


class ArchiveError(Exception):
    """An archive that cannot be written (the month is not over or not sealed) or read
    (missing, altered, not signed with this key)."""


@dataclass(frozen=True, slots=True)
class ArchivedEntry:
    """An entry as an archive holds it (what ``entry_hash`` reads)."""

    id: int
    at: datetime
    actor_id: str
    actor_name: str
    organization: str
    purpose: str
    action: str
    subject_type: str
    subject_id: str
    fields: list[str]
    seq: int
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ArchiveInfo:
    path: Path
    month: str
    count: int
    first_seq: int | None
    last_seq: int | None
    sha256: str


def archive_key(secret: str | None = None) -> bytes:
    """The archives' key material (32 bytes), derived from ``DANCU_SECRET_KEY`` (never the
    key itself): the seed of the Ed25519 signing key, and the HMAC key of the first format."""
    secret = get_settings().secret_key if secret is None else secret
    return hashlib.sha256(b"dancu audit archive\0" + secret.encode()).digest()


def _private(key: bytes | None) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(key or archive_key())


def public_key(key: bytes | None = None) -> Ed25519PublicKey:
    """The public half of the archives' signing key (``key``: ``archive_key``'s bytes)."""
    return _private(key).public_key()


def public_key_pem(key: bytes | None = None) -> str:
    """The public key an inspector needs to check archives, as PEM (SubjectPublicKeyInfo)."""
    return (
        public_key(key)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """An archive public key from PEM; ``ArchiveError`` if it is not an Ed25519 key."""
    try:
        loaded = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise ArchiveError("the public key is not a PEM public key") from exc
    if not isinstance(loaded, Ed25519PublicKey):
        raise ArchiveError("the public key is not an Ed25519 key")
    return loaded


def key_id(key: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of its raw bytes' SHA-256."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` -> [its first instant, the next month's) in UTC."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ArchiveError(f"{month!r} is not a month (YYYY-MM)") from exc
    following = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start, following


def archive_name(month: str) -> str:
    return f"audit-{month}.jsonl.gz"


def archive_month(
    session: Session,
    month: str,
    folder: Path,
    *,
    key: bytes | None = None,
    now: datetime | None = None,
    batch: int = 5000,
) -> ArchiveInfo:
    """Export the sealed entries recorded in ``month`` (``at``, UTC) to ``folder``, in chain
    order: a header line, one line per entry, a trailer with the count, the SHA-256 of the
    lines before it and their Ed25519 signature (the key seeded by ``key``, default from
    ``DANCU_SECRET_KEY``). Written to a temporary name, then renamed.

    The month must be over and wholly sealed. The entries stay in the table: removing them
    (dropping the month's partition) is a step of its own (ADR 0010)."""
    start, end = month_bounds(month)
    if end > (now or utcnow()):
        raise ArchiveError(f"{month} is not over yet")
    log = AuditEntry.__table__
    in_month = (log.c.at >= start) & (log.c.at < end)
    unsealed = session.execute(
        select(func.count()).where(in_month, log.c.seq.is_(None))
    ).scalar_one()
    if unsealed:
        raise ArchiveError(f"{unsealed} entries of {month} are not sealed (dancu audit seal)")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / archive_name(month)
    partial = path.with_name(path.name + ".partial")
    digest = hashlib.sha256()
    count, first, last, after = 0, None, None, 0
    with gzip.open(partial, "wb") as out:

        def write(line: dict[str, Any]) -> None:
            data = (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            digest.update(data)
            out.write(data)

        write({"format": ARCHIVE_FORMAT, "month": month})
        while True:
            rows = session.execute(
                select(log).where(in_month, log.c.seq > after).order_by(log.c.seq).limit(batch)
            ).all()
            for row in rows:
                values = {c: getattr(row, c) for c in _COLUMNS}
                values["at"], values["fields"] = _timestamp(row.at), list(row.fields)
                write(values)
            if rows:
                first = rows[0].seq if first is None else first
                last, after = rows[-1].seq, rows[-1].seq
                count += len(rows)
            if len(rows) < batch:
                break
        sha = digest.hexdigest()
        trailer = {"count": count, "first_seq": first, "last_seq": last, "sha256": sha}
        trailer["key_id"] = key_id(public_key(key))
        trailer["signature"] = _b64(_private(key).sign(_message(ARCHIVE_FORMAT, month, count, sha)))
        out.write((json.dumps(trailer, separators=(",", ":")) + "\n").encode())
    os.replace(partial, path)
    return ArchiveInfo(path, month, count, first, last, sha)


def _message(fmt: str, month: str, count: int, sha: str) -> bytes:
    return f"{fmt}|{month}|{count}|{sha}".encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _check_signature(
    header: dict[str, Any],
    trailer: dict[str, Any],
    month: str,
    count: int,
    sha: str,
    *,
    key: bytes | None,
    verifier: Ed25519PublicKey | None,
) -> None:
    fmt = header.get("format")
    if fmt == ARCHIVE_FORMAT:
        try:
            signature = base64.urlsafe_b64decode(str(trailer["signature"]) + "==")
            (verifier or public_key(key)).verify(signature, _message(fmt, month, count, sha))
        except (KeyError, ValueError, InvalidSignature) as exc:
            raise ArchiveError(
                "its signature does not verify with this key (altered or another key)"
            ) from exc
    elif fmt == _HMAC_FORMAT:
        if verifier is not None:
            raise ArchiveError("an archive of the first format is checked by the server only")
        expected = hmac.new(
            key or archive_key(), _message(fmt, month, count, sha), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, str(trailer.get("hmac", ""))):
            raise ArchiveError("its signature is not this server's (altered or another key)")
    else:
        raise ArchiveError(f"unknown format {fmt!r}")


def check_archive(
    path: Path, *, key: bytes | None = None, verifier: Ed25519PublicKey | None = None
) -> ArchiveInfo:
    """Read a whole archive: its lines must match the trailer's count and SHA-256, the
    trailer's signature must verify (with ``verifier``, a public key, when given; otherwise
    with the key seeded by ``key``, default from ``DANCU_SECRET_KEY``), and the entries must
    be in chain order."""
    digest = hashlib.sha256()
    first: bytes | None = None
    previous: bytes | None = None
    try:
        with gzip.open(path, "rb") as data:
            for line in data:  # every line but the last (the trailer) is hashed
                if previous is not None:
                    digest.update(previous)
                first = line if first is None else first
                previous = line
    except (OSError, EOFError) as exc:
        raise ArchiveError(f"cannot be read ({exc})") from exc
    if first is None or previous is None or first is previous:
        raise ArchiveError("empty or cut short")
    try:
        header, trailer = json.loads(first), json.loads(previous)
        month, count, sha = header["month"], int(trailer["count"]), str(trailer["sha256"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ArchiveError("no header or trailer") from exc
    if header.get("format") not in (ARCHIVE_FORMAT, _HMAC_FORMAT):
        raise ArchiveError(f"unknown format {header.get('format')!r}")
    if digest.hexdigest() != sha:
        raise ArchiveError("its lines do not match its hash (altered)")
    _check_signature(header, trailer, month, count, sha, key=key, verifier=verifier)
    seen, previous_seq = 0, 0
    for entry in archived_entries(Path(path)):
        if entry.seq <= previous_seq:
            raise ArchiveError(f"entry {entry.seq} out of chain order")
        previous_seq, seen = entry.seq, seen + 1
    if seen != count:
        raise ArchiveError(f"{seen} entries, its trailer says {count}")
    return ArchiveInfo(Path(path), month, count, trailer["first_seq"], trailer["last_seq"], sha)


def archived_entries(path: Path) -> Iterator[ArchivedEntry]:
    """The entries of an archive (header and trailer skipped), in the file's order."""
    with gzip.open(path, "rb") as data:
        for line in data:
            values = json.loads(line)
            if "seq" not in values:
                continue  # the header or the trailer
            values["at"] = datetime.strptime(values["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=UTC
            )
            yield ArchivedEntry(**values)


def archivable_months(session: Session, before: str) -> list[str]:
    """The months (``YYYY-MM``) before ``before`` that hold entries, oldest first."""
    limit, _ = month_bounds(before)
    log = AuditEntry.__table__
    oldest = session.execute(select(func.min(log.c.at)).where(log.c.at < limit)).scalar_one()
    if oldest is None:
        return []
    months, cursor = [], month_bounds(oldest.strftime("%Y-%m"))[0]
    while cursor < limit:
        _, following = month_bounds(cursor.strftime("%Y-%m"))
        has = session.execute(
            select(log.c.id).where(log.c.at >= cursor, log.c.at < following).limit(1)
        ).first()
        if has is not None:
            months.append(cursor.strftime("%Y-%m"))
        cursor = following
    return months


__all__ = [
    "ARCHIVE_FORMAT",
    "ArchiveError",
    "ArchiveInfo",
    "ArchivedEntry",
    "archivable_months",
    "archive_key",
    "archive_month",
    "archive_name",
    "archived_entries",
    "check_archive",
    "month_bounds",
]
