"""The audit log: its tables and the write path (append-only, hash-chained after).

Writing and chaining are two steps. ``record`` appends entries in the caller's transaction
with one INSERT and no shared row, so concurrent requests never queue on the log.
``audit_chain.seal`` then chains the committed entries and ``audit_chain.verify`` checks the
chain; ``audit_archive`` moves past months to signed files and ``audit_partitions`` keeps
PostgreSQL's monthly partitions (ADR 0010).

Database triggers (see the migrations) reject DELETE, and every UPDATE except the one that
seals an unsealed entry without touching its content.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Index,
    Integer,
    Row,
    String,
    bindparam,
    cast,
    insert,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from dancu.common.access import Actor
from dancu.db import Base, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
_SEQ = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_subject", "subject_type", "subject_id", "id"),
        Index(
            "ix_audit_log_unsealed",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[str] = mapped_column(String(80), index=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    fields: Mapped[list[str]] = mapped_column(JSON)
    # The seal: set once by ``seal`` (the only UPDATE the triggers allow).
    seq: Mapped[int | None] = mapped_column(_SEQ, unique=True, nullable=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditHead(Base):
    """The last sealed entry: its sequence number and hash (written by ``seal`` only)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(_SEQ, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


def _timestamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(entry: AuditEntry | Row[Any]) -> str:
    """The hash a sealed entry must carry, from its content, seq and previous hash."""
    return _digest(entry.seq, entry, entry.prev_hash)


def _digest(seq: int | None, entry: AuditEntry | Row[Any], prev_hash: str | None) -> str:
    """SHA-256 over the canonical JSON of the position, the content and the previous hash."""
    content = [
        seq,
        _timestamp(entry.at),
        entry.actor_id,
        entry.actor_name,
        entry.organization,
        entry.purpose,
        entry.action,
        entry.subject_type,
        entry.subject_id,
        list(entry.fields),
        prev_hash,
    ]
    canonical = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    subject_type: str,
    subject_id: str,
    purpose: str,
    fields: Sequence[str] = (),
) -> None:
    """Append one entry in the caller's transaction; it commits or rolls back with the change."""
    record_many(
        session,
        actor,
        action=action,
        subject_type=subject_type,
        subject_ids=[subject_id],
        purpose=purpose,
        fields=fields,
    )


def record_many(
    session: Session,
    actor: Actor,
    *,
    action: str,
    subject_type: str,
    subject_ids: Sequence[str],
    purpose: str,
    fields: Sequence[str] = (),
) -> None:
    """Append one entry per subject in one INSERT; ``seal`` chains them after commit.

    Every access to personal data passes here with its purpose, so this is also where an
    actor bound to purposes (a partner system) is refused any other: whatever service or
    fixed purpose the access came through, and before any entry is written.
    """
    actor.require_purpose_allowed(purpose)
    if not subject_ids:
        return
    common = {
        "at": utcnow(),
        "actor_id": actor.id,
        "actor_name": actor.name,
        "organization": actor.organization,
        "purpose": purpose,
        "action": action,
        "subject_type": subject_type,
        "fields": list(fields),
    }
    rows = [{**common, "subject_id": subject_id} for subject_id in subject_ids]
    # Core on the session's connection: same transaction, without the ORM's bulk machinery.
    session.connection().execute(insert(AuditEntry.__table__), rows)


# -- one entry per row of a statement (a read and its entry in one round trip) ---------------

_ENTRY_PARAMS = ("at", "actor_id", "actor_name", "organization", "purpose", "action")


def insert_from(subject_type: str, subject_id: ColumnElement[Any], fields: Sequence[str]) -> Any:
    """``INSERT INTO audit_log ... SELECT`` one entry per row that ``subject_id`` comes from.

    Built once by the caller (a module-level or cached statement) and placed in a
    data-modifying CTE (``.cte()``, PostgreSQL) next to the read it audits: the read and its
    entries are one statement, one round trip, one transaction. Who, when and why are bound
    per execution with ``insert_params``; the subject type and fields are part of the
    statement.
    """
    table = AuditEntry.__table__
    values = [
        *(bindparam(f"audit_{name}", type_=table.c[name].type) for name in _ENTRY_PARAMS),
        # constants of the statement, written into it (no bound value to process per run)
        cast(literal_column(_sql_quote(subject_type)), String()).label("subject_type"),
        subject_id,
        cast(literal_column(_sql_quote(json.dumps(list(fields)))), JSON()).label("fields"),
    ]
    columns = [*_ENTRY_PARAMS, "subject_type", "subject_id", "fields"]
    return insert(table).from_select(columns, select(*values))


def _sql_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def insert_params(actor: Actor, *, action: str, purpose: str) -> dict[str, Any]:
    """The bound values of an ``insert_from`` statement; refuses a purpose the actor lacks
    (as ``record_many`` does) before anything is written."""
    actor.require_purpose_allowed(purpose)
    return {
        "audit_at": utcnow(),
        "audit_actor_id": actor.id,
        "audit_actor_name": actor.name,
        "audit_organization": actor.organization,
        "audit_purpose": purpose,
        "audit_action": action,
    }


_REFUSED_KEY = "audit_kept_on_rollback"


def record_refusal(
    session: Session,
    actor: Actor,
    *,
    action: str,
    subject_type: str,
    subject_id: str,
    purpose: str,
) -> None:
    """Keep an entry for an attempt that is about to fail, such as a look-up that missed.

    The failing request rolls back, so the entry cannot ride in its transaction: it waits
    in ``session.info`` and the unit of work writes it with the commit, or after the
    rollback in a transaction of its own (``write_kept``). Enumeration attempts leave a trace.
    """
    entry = {
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "purpose": purpose,
        "actor": actor,
    }
    session.info.setdefault(_REFUSED_KEY, []).append(entry)


def take_kept(session: Session) -> list[dict[str, Any]]:
    """The refusals ``record_refusal`` kept in this session (and forget them)."""
    return session.info.pop(_REFUSED_KEY, [])


def write_kept(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    for entry in entries:
        record(
            session,
            entry["actor"],
            action=entry["action"],
            subject_type=entry["subject_type"],
            subject_id=entry["subject_id"],
            purpose=entry["purpose"],
        )


def trail(
    session: Session, subject_type: str, subject_id: str, *, limit: int = 100
) -> list[AuditEntry]:
    """The newest entries about one subject (a citizen's record page shows them)."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditHead",
    "entry_hash",
    "record",
    "record_many",
    "record_refusal",
    "take_kept",
    "trail",
    "write_kept",
]
