"""The audit log's hash chain: sealing the entries ``record`` wrote, and verifying them.

``seal`` (run every second by the app and by ``dancu audit seal``) gives the committed
entries, oldest first, their sequence number, the previous entry's hash and their own hash,
and moves the one-row head. ``verify`` walks the sealed chain and compares its end with the
head, so a changed, deleted, replaced or foreign entry is found; given the month archives of
``audit_archive``, it walks the one chain across the files and the live table.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from dancu.common.audit import GENESIS_HASH, AuditEntry, AuditHead, _digest, entry_hash
from dancu.common.audit_archive import ArchiveError, archived_entries, check_archive
from dancu.db import append_only


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
    sources = [archived_entries(Path(path)) for path in archives]
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


def drop_append_only_triggers(dialect: str) -> list[str]:
    """DDL that removes the migrations' append-only triggers (tests of tampering use it)."""
    return append_only.drop(dialect, "audit_log")


__all__ = [
    "VerifyResult",
    "drop_append_only_triggers",
    "head",
    "pending",
    "seal",
    "seal_pending",
    "verify",
]
