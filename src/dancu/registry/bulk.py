"""Bulk writes for imports and the demo: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

Both run inside the caller's transaction, so a failure leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from dancu.db import is_postgres


def copy_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Write rows (tuples in ``columns`` order) into ``table``; returns how many."""
    if is_postgres(session):
        return _copy_postgres(session, table, columns, rows)
    return _insert_many(session, table, columns, rows)


def _copy_postgres(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    dbapi = session.connection().connection.driver_connection
    count = 0
    cols = ", ".join(columns)
    with dbapi.cursor() as cursor, cursor.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _insert_many(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    stmt = insert(table)
    batch: list[dict[str, Any]] = []
    count = 0
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) >= 5000:
            session.execute(stmt, batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(stmt, batch)
        count += len(batch)
    return count


def reserve_ids(session: Session, table: Table, count: int) -> int:
    """Lock ``table`` against other writers and return the first of ``count`` free ids.

    The caller writes explicit ids ``first .. first + count - 1``; on PostgreSQL the id
    sequence is moved past them (``sync_sequence``) before the transaction ends.
    """
    if is_postgres(session):
        session.execute(text(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE"))
    highest = session.scalar(select(func.max(table.c.id))) or 0
    return highest + 1


def sync_sequence(session: Session, table: Table) -> None:
    if is_postgres(session):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                f" GREATEST((SELECT max(id) FROM {table.name}), 1))"
            )
        )
