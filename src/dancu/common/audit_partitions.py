"""The audit log's monthly partitions (PostgreSQL after migration 0019, ADR 0010).

``ensure_partitions`` keeps the coming months' partitions ready; ``drop_month`` removes an
archived month's partition once its archive is checked and holds every row. SQLite keeps
one table: there both are no-ops.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from dancu.common.audit_archive import ArchiveError, ArchiveInfo, check_archive, month_bounds
from dancu.db import utcnow

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


__all__ = [
    "MONTHS_AHEAD",
    "PARTITION_PREFIX",
    "drop_month",
    "ensure_partitions",
    "month_partitions",
    "partition_name",
    "partitioned",
]
