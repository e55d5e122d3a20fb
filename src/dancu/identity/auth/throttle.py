"""Counting failures: password sign-in (per typed ID number and per client) and codes.

Every key is an HMAC of a scope and what identifies it, so an unknown ID number is counted
exactly like a known one and nothing said about it reveals whether an account exists.

Password sign-in (``claim_number``, ``claim_client``; docs/identity.md, "Throttling
password sign-in") counts each attempt *before* its password is checked, in one
conditional upsert that refuses while the key must wait; a right password then gives the
count back. Parallel attempts therefore never get more tries than the limits allow, with
no lock held and no read before the write. A typed number gets a few free failures, then
each next try waits a delay that doubles (capped): a stranger can slow its owner down,
not lock them out. A client address gets a number of failures per window across all
numbers, then a block that doubles each time.

Codes and recovery (``fail``, ``locked_until``) lock out for a time that doubles with each
lock-out. Callers must commit even when they refuse (the boundary commits, then raises the
returned error), or the count is lost.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, delete, literal, null, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dancu.db import UTCDateTime, is_postgres, utcnow
from dancu.identity.auth.models import LoginThrottle
from dancu.settings import get_settings

MAX_LOCK_SECONDS = 24 * 3600
FORGET_AFTER = timedelta(days=1)  # a number's failures older than this start again from 0
IPV6_PREFIX = 64  # one IPv6 client usually holds a whole /64
_T = LoginThrottle.__table__.c


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


# -- password sign-in ------------------------------------------------------------------------


def client_key(ip: str) -> str:
    """The key of a client address: an IPv6 address counts as its /64, the usual grant."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return key("client", ip)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:203.0.113.7 is 203.0.113.7
            return key("client", str(address.ipv4_mapped))
        network = ipaddress.IPv6Network((address.packed, IPV6_PREFIX), strict=False)
        return key("client", str(network))
    return key("client", str(address))


def number_delay(failures: int) -> int | None:
    """Seconds the next try on a typed number waits after ``failures`` failures in a row."""
    s = get_settings()
    extra = failures - s.identity_signin_free_failures
    if extra < 0:
        return None
    return min(s.identity_signin_delay_seconds * 2**extra, s.identity_signin_delay_max_seconds)


def client_block(lockouts: int) -> int:
    """Seconds of a client's block after ``lockouts`` earlier blocks."""
    return min(get_settings().identity_client_block_seconds * 2**lockouts, MAX_LOCK_SECONDS)


def _at(moment: datetime) -> ColumnElement[datetime]:
    return literal(moment, UTCDateTime())


def _until(
    value: ColumnElement[int], seconds: Callable[[int], int | None], start: int, now: datetime
) -> ColumnElement[datetime | None]:
    """SQL for ``now + seconds(value)``: one CASE branch per step until the cap is reached."""
    steps: dict[int, ColumnElement[datetime | None]] = {}
    n, previous = start, None
    while (delay := seconds(n)) is None or delay != previous:
        steps[n] = null() if delay is None else _at(now + timedelta(seconds=delay))
        n, previous = n + 1, delay
    return case(steps, value=value, else_=_at(now + timedelta(seconds=previous)))


def _upsert(
    session: Session, values: dict[str, object], changes: dict[str, object], now: datetime
) -> tuple[datetime | None] | None:
    """The claims' one statement: insert the key or update it, unless it is waiting.

    Returns the row's ``(locked_until,)`` after the update, or None when the key was
    waiting (then its row is left alone and nothing is counted).
    """
    insert = pg_insert if is_postgres(session) else sqlite_insert
    stmt = (
        insert(LoginThrottle.__table__)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["key"],
            set_=changes,
            where=or_(_T.locked_until.is_(None), _T.locked_until <= _at(now)),
        )
        .returning(_T.locked_until)
    )
    row = session.execute(stmt).first()
    return None if row is None else (row[0],)


def _waiting_until(session: Session, k: str, now: datetime) -> datetime:
    """When a waiting key may try again (read for the answer only: nothing depends on it)."""
    until = session.execute(select(_T.locked_until).where(_T.key == k)).scalar()
    return until if until is not None and until > now else now


def claim_number(session: Session, k: str, now: datetime) -> datetime | None:
    """Count a try on a typed number as failed before its password is checked.

    None: go on (``number_succeeded`` gives the count back); this try may start the wait
    of the next one. Else the number waits until then: the try is refused, not counted,
    and its password must not be checked.
    """
    stale = _T.updated_at < _at(now - FORGET_AFTER)
    failures = case((stale, 1), else_=_T.failures + 1)
    first = number_delay(1)
    waits = None if first is None else now + timedelta(seconds=first)
    values = {"key": k, "failures": 1, "lockouts": 0, "locked_until": waits, "updated_at": now}
    changes = {
        "failures": failures,
        "locked_until": _until(failures, number_delay, 1, now),
        "updated_at": now,
    }
    if _upsert(session, values, changes, now) is None:
        return _waiting_until(session, k, now)
    return None


def number_succeeded(session: Session, k: str) -> None:
    """The right password: the number starts again with its free tries."""
    session.execute(update(LoginThrottle).where(_T.key == k).values(failures=0, locked_until=None))


def claim_client(session: Session, k: str, now: datetime) -> datetime | None:
    """Count a password try from a client as failed, in its window, before it is checked.

    None: go on (``client_succeeded`` gives the count back). Else the client is blocked
    until then: the claim that finds the window full starts the block (each one twice as
    long as the one before) and is refused with every claim until it ends.
    """
    s = get_settings()
    window_over = or_(
        _T.window_started_at.is_(None),
        _T.window_started_at <= _at(now - timedelta(seconds=s.identity_client_window_seconds)),
    )
    full = and_(~window_over, _T.failures >= s.identity_client_failures)
    values = {"key": k, "failures": 1, "lockouts": 0, "window_started_at": now, "updated_at": now}
    changes = {
        "failures": case((window_over, 1), (full, 0), else_=_T.failures + 1),
        "window_started_at": case((or_(window_over, full), _at(now)), else_=_T.window_started_at),
        "locked_until": case((full, _until(_T.lockouts, client_block, 0, now)), else_=null()),
        "lockouts": case((full, _T.lockouts + 1), else_=_T.lockouts),
        "updated_at": now,
    }
    row = _upsert(session, values, changes, now)
    if row is None:
        return _waiting_until(session, k, now)
    return row[0] if row[0] is not None and row[0] > now else None


def client_succeeded(session: Session, k: str) -> None:
    """The right password: its claimed failure is given back (a failure is never undone)."""
    session.execute(
        update(LoginThrottle).where(_T.key == k, _T.failures > 0).values(failures=_T.failures - 1)
    )
