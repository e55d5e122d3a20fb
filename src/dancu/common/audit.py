"""The audit log: append-only and hash-chained.

Writing and chaining are two steps. ``record`` appends entries in the caller's transaction
with one INSERT and no shared row, so concurrent requests never queue on the log. ``seal``
(run every second by the app and by ``dancu audit seal``) then gives the committed entries,
oldest first, their sequence number, the previous entry's hash and their own hash, and
moves the one-row head. ``verify`` walks the sealed chain and compares its end with the
head, so a changed, deleted, replaced or foreign entry is found.

Database triggers (see the migrations) reject DELETE, and every UPDATE except the one that
seals an unsealed entry without touching its content.

Archives (ADR 0010): ``archive_month`` exports a past month's sealed entries, in chain
order, to a gzip JSON-lines file whose trailer carries the count, the SHA-256 of the lines
and an HMAC of it under a key derived from ``DANCU_SECRET_KEY``. ``verify(archives=...)``
checks each file, then walks the one chain across the files and the live table merged by
``seq`` (an entry in both must be the same entry), so the chain stays verifiable once a
month leaves the database.
"""

from __future__ import annotations

import gzip
import hashlib
import heapq
import hmac
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
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
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from dancu.common.access import Actor
from dancu.db import Base, UTCDateTime, utcnow
from dancu.settings import get_settings

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
        literal(subject_type, String()),
        subject_id,
        literal(list(fields), JSON()),
    ]
    columns = [*_ENTRY_PARAMS, "subject_type", "subject_id", "fields"]
    return insert(table).from_select(columns, select(*values))


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


def seal(session: Session, *, limit: int = 5000) -> int:
    """Chain up to ``limit`` unsealed entries after the head, oldest first; returns how many.

    The head row is locked first (an UPDATE), so concurrent sealers take turns; entries
    committed late (a long transaction's) are simply sealed in a later round.
    """
    log = AuditEntry.__table__
    waiting = select(log.c.id).where(log.c.seq.is_(None)).limit(1)
    if session.execute(waiting).first() is None:
        return 0  # idle: no head lock, no write (this runs every second in every server)
    touch = (
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq)
        .returning(AuditHead.seq, AuditHead.last_hash)
    )
    head = session.execute(touch).first()
    if head is None:
        session.execute(insert(AuditHead).values(id=1, seq=0, last_hash=GENESIS_HASH))
        head = session.execute(touch).one()
    seq, prev_hash = head
    pending = session.execute(
        select(log).where(log.c.seq.is_(None)).order_by(log.c.id).limit(limit)
    ).all()
    if not pending:
        return 0
    seals = []
    for row in pending:
        seq += 1
        digest = _digest(seq, row, prev_hash)
        seals.append(
            {
                "entry_id": row.id,
                "entry_at": row.at,
                "s_seq": seq,
                "s_prev": prev_hash,
                "s_hash": digest,
            }
        )
        prev_hash = digest
    session.execute(
        update(log)
        .where(  # ``at``: PostgreSQL looks in the entry's month partition only
            log.c.id == bindparam("entry_id"),
            log.c.at == bindparam("entry_at"),
            log.c.seq.is_(None),
        )
        .values(seq=bindparam("s_seq"), prev_hash=bindparam("s_prev"), hash=bindparam("s_hash")),
        seals,
    )
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, last_hash=prev_hash))
    session.expire_all()  # entries loaded before now show no seal
    return len(seals)


def seal_pending(factory: sessionmaker[Session], *, batch: int = 5000) -> int:
    """Seal everything pending, one transaction per batch; returns how many were sealed."""
    total = 0
    while True:
        with factory() as session, session.begin():
            sealed = seal(session, limit=batch)
        total += sealed
        if sealed < batch:
            return total


def pending(session: Session) -> int:
    """How many entries wait to be sealed."""
    log = AuditEntry.__table__
    return session.execute(select(func.count()).where(log.c.seq.is_(None))).scalar_one()


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


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def head(session: Session) -> tuple[int, str]:
    """The last sealed entry's (seq, hash): the value to publish as a checkpoint."""
    row = session.execute(
        select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)
    ).first()
    return (row.seq, row.last_hash) if row else (0, GENESIS_HASH)


def verify(
    session: Session,
    *,
    batch: int = 5000,
    archives: Sequence[Path] = (),
    key: bytes | None = None,
) -> VerifyResult:
    """Walk the chain; report the first entry that was changed, deleted or inserted.

    Reads plain rows, not ORM objects: the caller's session may hold entries in its identity
    map, and those show what was written, not what the database holds now. The head is read
    before the walk (every entry it counts must be found) and after it (every entry found
    must be counted), so entries that other transactions append meanwhile are no alarm.

    ``archives``: files of ``archive_month``. Each is checked whole first (its count, hash
    and signature under ``key``, default from ``DANCU_SECRET_KEY``); then the chain is
    walked across them and the live table, merged by ``seq``; an entry found in an archive
    and in the table must be the same in both.
    """
    head_seq, head_hash = head(session)
    for path in archives:
        try:
            check_archive(path, key=key)
        except ArchiveError as exc:
            return VerifyResult(False, 0, None, f"archive {Path(path).name}: {exc}")
    sources = [_archived_entries(Path(path)) for path in archives]
    # The table first: of an entry in both, the table's copy is walked, the archive's compared.
    merged = heapq.merge(_live_entries(session, batch), *sources, key=lambda e: e.seq)
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    hash_at_head = GENESIS_HASH if head_seq == 0 else None
    last: Any = None
    for entry in merged:
        if last is not None and entry.seq == last.seq:  # archived and still in the table
            if _digest(entry.seq, entry, entry.prev_hash) != entry_hash(last) or (
                entry.hash != last.hash
            ):
                return VerifyResult(
                    False, checked - 1, entry.seq, "archived entry differs from the live one"
                )
            continue
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, "entry missing (deleted)")
        if entry.prev_hash != prev_hash:
            return VerifyResult(False, checked, entry.seq, "link to previous entry broken")
        if entry_hash(entry) != entry.hash:
            return VerifyResult(False, checked, entry.seq, "content does not match its hash")
        if entry.seq == head_seq:
            hash_at_head = entry.hash
        prev_hash, last = entry.hash, entry
        expected_seq += 1
        checked += 1
    if checked < head_seq:
        return VerifyResult(False, checked, checked + 1, "entries missing at the end (deleted)")
    if hash_at_head != head_hash:
        return VerifyResult(
            False, head_seq - 1, head_seq, "entry does not match the head (replaced)"
        )
    head_seq_after, _ = head(session)
    if checked > head_seq_after:
        return VerifyResult(
            False,
            head_seq_after,
            head_seq_after + 1,
            "entries beyond the head (not written by record)",
        )
    return VerifyResult(True, checked)


def _live_entries(session: Session, batch: int) -> Iterator[Row[Any]]:
    """The table's sealed entries in chain order, a batch at a time (keyset on ``seq``)."""
    log = AuditEntry.__table__
    after = 0
    while True:
        rows = session.execute(
            select(log).where(log.c.seq > after).order_by(log.c.seq).limit(batch)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq


# ---------------------------------------------------------------------------- archives

ARCHIVE_FORMAT = "dancu-audit-archive/1"
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
    """The archives' HMAC key, derived from ``DANCU_SECRET_KEY`` (never the key itself)."""
    secret = get_settings().secret_key if secret is None else secret
    return hashlib.sha256(b"dancu audit archive\0" + secret.encode()).digest()


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
    lines before it and their HMAC under ``key``. Written to a temporary name, then renamed.

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
        trailer["hmac"] = _sign(key, month, count, sha)
        out.write((json.dumps(trailer, separators=(",", ":")) + "\n").encode())
    os.replace(partial, path)
    return ArchiveInfo(path, month, count, first, last, sha)


def _sign(key: bytes | None, month: str, count: int, sha: str) -> str:
    message = f"{ARCHIVE_FORMAT}|{month}|{count}|{sha}".encode()
    return hmac.new(key or archive_key(), message, hashlib.sha256).hexdigest()


def check_archive(path: Path, *, key: bytes | None = None) -> ArchiveInfo:
    """Read a whole archive: its lines must match the trailer's count and SHA-256, the
    trailer's HMAC must be this key's, and the entries must be in chain order."""
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
        signature = str(trailer["hmac"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ArchiveError("no header or trailer") from exc
    if header.get("format") != ARCHIVE_FORMAT:
        raise ArchiveError(f"unknown format {header.get('format')!r}")
    if digest.hexdigest() != sha:
        raise ArchiveError("its lines do not match its hash (altered)")
    if not hmac.compare_digest(_sign(key, month, count, sha), signature):
        raise ArchiveError("its signature is not this server's (altered or another key)")
    seen, previous_seq = 0, 0
    for entry in _archived_entries(Path(path)):
        if entry.seq <= previous_seq:
            raise ArchiveError(f"entry {entry.seq} out of chain order")
        previous_seq, seen = entry.seq, seen + 1
    if seen != count:
        raise ArchiveError(f"{seen} entries, its trailer says {count}")
    return ArchiveInfo(Path(path), month, count, trailer["first_seq"], trailer["last_seq"], sha)


def _archived_entries(path: Path) -> Iterator[ArchivedEntry]:
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


# ---------------------------------------------------------------------------- partitions

PARTITION_PREFIX = "audit_log_p"
MONTHS_AHEAD = 3  # partitions kept ready beyond the current month


def partition_name(month: str) -> str:
    """``2026-11`` -> ``audit_log_p202611`` (migration 0019 names them so)."""
    month_bounds(month)  # a month, so the name is safe in DDL
    return PARTITION_PREFIX + month.replace("-", "")


def partitioned(session: Session) -> bool:
    """Whether ``audit_log`` is partitioned (PostgreSQL after migration 0019)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    found = session.execute(
        text("SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'audit_log'::regclass")
    ).first()
    return found is not None


def month_partitions(session: Session) -> list[str]:
    """The months that have a partition of their own, oldest first."""
    if not partitioned(session):
        return []
    names = session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'audit_log'::regclass ORDER BY c.relname"
        )
    )
    prefix = len(PARTITION_PREFIX)
    return [f"{n[prefix : prefix + 4]}-{n[prefix + 4 :]}" for n in names if n[prefix:].isdigit()]


def ensure_partitions(
    session: Session, *, now: datetime | None = None, ahead: int = MONTHS_AHEAD
) -> list[str]:
    """Create the partitions of this month and the next ``ahead`` ones that are missing
    (PostgreSQL; a no-op elsewhere). Returns the months created. A month whose entries
    already wait in the default partition is left there (logged by the caller's job)."""
    if not partitioned(session):
        return []
    have = set(month_partitions(session))
    month = (now or utcnow()).strftime("%Y-%m")
    created = []
    for _ in range(ahead + 1):
        start, end = month_bounds(month)
        if month not in have:
            stray = session.execute(
                text("SELECT 1 FROM audit_log_pdefault WHERE at >= :start AND at < :end LIMIT 1"),
                {"start": start, "end": end},
            ).first()
            if stray is None:
                session.execute(
                    text(
                        f"CREATE TABLE {partition_name(month)} PARTITION OF audit_log"
                        f" FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
                    )
                )
                created.append(month)
        month = end.strftime("%Y-%m")
    return created


def drop_month(session: Session, info: ArchiveInfo, *, key: bytes | None = None) -> bool:
    """Detach and drop the partition of an archived month, once its archive is checked
    and holds every row of the partition. False: the month has no partition of its own
    (SQLite, or its entries sit in the default partition): nothing was removed."""
    if info.month not in month_partitions(session):
        return False
    checked = check_archive(info.path, key=key)
    name = partition_name(info.month)
    rows = session.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
    if rows != checked.count:
        raise ArchiveError(f"{name} holds {rows} entries, the archive {checked.count}")
    # DETACH locks the whole table (CONCURRENTLY is refused beside a default partition):
    # give up after a few seconds rather than queue every request's audit INSERT behind it.
    session.execute(text("SET LOCAL lock_timeout = '5s'"))
    session.execute(text(f"ALTER TABLE audit_log DETACH PARTITION {name}"))
    session.execute(text(f"DROP TABLE {name}"))
    return True


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


def drop_append_only_triggers(dialect: str) -> list[str]:
    """DDL that removes the migrations' append-only triggers (tests of tampering use it)."""
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
            "DROP FUNCTION IF EXISTS audit_log_append_only()",
        ]
    return [
        "DROP TRIGGER IF EXISTS audit_log_no_update",
        "DROP TRIGGER IF EXISTS audit_log_no_delete",
    ]


__all__ = [
    "ArchiveError",
    "ArchiveInfo",
    "AuditEntry",
    "AuditHead",
    "VerifyResult",
    "archivable_months",
    "archive_month",
    "check_archive",
    "head",
    "pending",
    "record",
    "record_many",
    "seal",
    "seal_pending",
    "trail",
    "verify",
]
