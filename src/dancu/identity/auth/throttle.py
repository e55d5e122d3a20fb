"""Counting failures and locking out: per typed ID number (sign-in) and per account (codes).

The key is an HMAC of what was typed, so an unknown ID number is counted and locked exactly
like a known one: the lock-out says nothing about whether an account exists. Each lock-out
lasts twice as long as the previous one. Callers must commit even when they refuse (the
boundary commits, then raises the returned error), or the count is lost.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dancu.db import is_postgres, utcnow
from dancu.identity.auth.models import LoginThrottle
from dancu.settings import get_settings

MAX_LOCK_SECONDS = 24 * 3600


def key(scope: str, identifier: str) -> str:
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, f"{scope}:{identifier}".encode(), hashlib.sha256).hexdigest()


def acquire(session: Session, k: str) -> LoginThrottle:
    """The row for ``k``, created if missing and locked to the end of the transaction.

    Concurrent attempts on one key therefore take turns (PostgreSQL: the row lock; SQLite:
    the insert takes the database's write lock), so a burst of parallel guesses cannot all
    pass the lock-out check before the first failure is counted.
    """
    insert = pg_insert if is_postgres(session) else sqlite_insert
    session.execute(
        insert(LoginThrottle.__table__)
        .values(key=k, failures=0, lockouts=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
    )
    stmt = select(LoginThrottle).where(LoginThrottle.key == k)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    return session.scalars(stmt.execution_options(populate_existing=True)).one()


def purge(session: Session, *, before: datetime) -> int:
    """Forget keys untouched since ``before`` and not locked (run with the history purge)."""
    result = session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.updated_at < before,
            (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < before),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def locked_until(session: Session, k: str, *, now: datetime | None = None) -> datetime | None:
    row = session.get(LoginThrottle, k)
    now = now or utcnow()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    return None


def fail(session: Session, k: str, *, now: datetime | None = None) -> datetime | None:
    """Count one failure; returns the lock's end when this failure locks."""
    s = get_settings()
    now = now or utcnow()
    row = acquire(session, k)
    row.failures += 1
    row.updated_at = now
    if row.failures < s.identity_lockout_failures:
        session.flush()
        return None
    seconds = min(s.identity_lockout_seconds * 2**row.lockouts, MAX_LOCK_SECONDS)
    row.locked_until = now + timedelta(seconds=seconds)
    row.lockouts += 1
    row.failures = 0
    session.flush()
    return row.locked_until


def succeed(session: Session, k: str) -> None:
    """A success clears the failure count (not the lock-out history that doubles locks)."""
    row = session.get(LoginThrottle, k)
    if row is not None:
        row.failures = 0
        row.locked_until = None
        session.flush()
