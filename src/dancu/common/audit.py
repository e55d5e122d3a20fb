"""The audit log: append-only and hash-chained.

Each entry's hash covers its content and the previous entry's hash. A one-row head table
holds the last sequence number and hash; appending locks that row first (``UPDATE ...
RETURNING``), so concurrent writers queue on it on PostgreSQL and on SQLite alike, and a
deleted tail is detected by comparing the head with the last row. Database triggers (see the
migration) reject UPDATE and DELETE on ``audit_log``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, Row, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from dancu.common.access import Actor
from dancu.db import Base, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
_SEQ = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id", "seq"),)

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[str] = mapped_column(String(80), index=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    fields: Mapped[list[str]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(_SEQ, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


def _timestamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(entry: AuditEntry | Row[Any]) -> str:
    """The SHA-256 over the canonical JSON of the entry's content and the previous hash."""
    content = [
        entry.seq,
        _timestamp(entry.at),
        entry.actor_id,
        entry.actor_name,
        entry.organization,
        entry.purpose,
        entry.action,
        entry.subject_type,
        entry.subject_id,
        list(entry.fields),
        entry.prev_hash,
    ]
    canonical = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _ensure_head(session: Session) -> None:
    if session.get(AuditHead, 1) is None:
        session.add(AuditHead(id=1, seq=0, last_hash=GENESIS_HASH))
        session.flush()


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    subject_type: str,
    subject_id: str,
    purpose: str,
    fields: Sequence[str] = (),
) -> AuditEntry:
    """Append one entry in the caller's transaction; it commits or rolls back with the change."""
    return record_many(
        session,
        actor,
        action=action,
        subject_type=subject_type,
        subject_ids=[subject_id],
        purpose=purpose,
        fields=fields,
    )[0]


def record_many(
    session: Session,
    actor: Actor,
    *,
    action: str,
    subject_type: str,
    subject_ids: Sequence[str],
    purpose: str,
    fields: Sequence[str] = (),
) -> list[AuditEntry]:
    """Append one entry per subject, claiming their sequence numbers in one statement."""
    if not subject_ids:
        return []
    claim = (
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + len(subject_ids))
        .returning(AuditHead.seq, AuditHead.last_hash)
    )
    row = session.execute(claim).first()
    if row is None:
        _ensure_head(session)
        row = session.execute(claim).one()
    last_seq, prev_hash = row
    at = utcnow()
    entries = []
    for offset, subject_id in enumerate(subject_ids):
        entry = AuditEntry(
            seq=last_seq - len(subject_ids) + 1 + offset,
            at=at,
            actor_id=actor.id,
            actor_name=actor.name,
            organization=actor.organization,
            purpose=purpose,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            fields=list(fields),
            prev_hash=prev_hash,
        )
        entry.hash = prev_hash = entry_hash(entry)
        entries.append(entry)
    session.add_all(entries)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev_hash))
    session.flush()
    return entries


def trail(
    session: Session, subject_type: str, subject_id: str, *, limit: int = 100
) -> list[AuditEntry]:
    """The newest entries about one subject (a citizen's record page shows them)."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def _head(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)
    ).first()
    return (row.seq, row.last_hash) if row else (0, GENESIS_HASH)


def verify(session: Session, *, batch: int = 5000) -> VerifyResult:
    """Walk the chain; report the first entry that was changed, deleted or inserted.

    Reads plain rows, not ORM objects: the caller's session may hold entries in its identity
    map, and those show what was written, not what the database holds now. The head is read
    before the walk (every entry it counts must be found) and after it (every entry found
    must be counted), so entries that other transactions append meanwhile are no alarm.
    """
    log = AuditEntry.__table__
    head_seq, head_hash = _head(session)
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    hash_at_head = GENESIS_HASH if head_seq == 0 else None
    while True:
        rows = session.execute(
            select(log).where(log.c.seq >= expected_seq).order_by(log.c.seq).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, "entry missing (deleted)")
            if entry.prev_hash != prev_hash:
                return VerifyResult(False, checked, entry.seq, "link to previous entry broken")
            if entry_hash(entry) != entry.hash:
                return VerifyResult(False, checked, entry.seq, "content does not match its hash")
            if entry.seq == head_seq:
                hash_at_head = entry.hash
            prev_hash = entry.hash
            expected_seq += 1
            checked += 1
    if checked < head_seq:
        return VerifyResult(False, checked, checked + 1, "entries missing at the end (deleted)")
    if hash_at_head != head_hash:
        return VerifyResult(
            False, head_seq - 1, head_seq, "entry does not match the head (replaced)"
        )
    head_seq_after, _ = _head(session)
    if checked > head_seq_after:
        return VerifyResult(
            False, head_seq_after, head_seq_after + 1,
            "entries beyond the head (not written by record)",
        )  # fmt: skip
    return VerifyResult(True, checked)


def append_only_triggers(dialect: str) -> list[str]:
    """DDL that makes ``audit_log`` reject UPDATE and DELETE (used by the migration)."""
    if dialect == "postgresql":
        return [
            # SQLSTATE 23000 (integrity_constraint_violation), as SQLite's RAISE(ABORT) is a
            # constraint error: both backends raise sqlalchemy.exc.IntegrityError.
            """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only'
                USING ERRCODE = 'integrity_constraint_violation'; END; $$ LANGUAGE plpgsql""",
            """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
        ]
    return [
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    ]


def drop_append_only_triggers(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
            "DROP FUNCTION IF EXISTS audit_log_append_only()",
        ]
    return [
        "DROP TRIGGER IF EXISTS audit_log_no_update",
        "DROP TRIGGER IF EXISTS audit_log_no_delete",
    ]


__all__ = ["AuditEntry", "AuditHead", "VerifyResult", "record", "record_many", "trail", "verify"]
