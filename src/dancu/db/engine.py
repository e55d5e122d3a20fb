"""Engines and sessions: a SQLite file (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from dancu.settings import get_settings


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # pysqlite's own transaction handling begins late and ignores SAVEPOINT; hand control
    # to SQLAlchemy, which emits BEGIN itself (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
    # IMMEDIATE takes the write lock up front. With a deferred BEGIN, a transaction that
    # read first and writes later fails at once ("database is locked", no busy wait) if
    # another connection, such as the audit sealer, committed in between. SQLite is the
    # embedded one-machine database; PostgreSQL is the one that serves many writers.
    # A connection that only reads may say so: ``execution_options(sqlite_reader=True)``.
    reader = connection.get_execution_options().get("sqlite_reader", False)
    connection.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the settings); SQLite files get WAL and foreign keys."""
    settings = get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # No pre-ping (a round trip per checkout): a connection the server dropped fails its
    # statement, SQLAlchemy invalidates the whole pool, and the client's retry gets a fresh
    # one. Connections are recycled hourly so none outlives a server-side idle timeout.
    return create_engine(url, pool_size=settings.db_pool_size, max_overflow=10, pool_recycle=3600)


@cache
def get_engine() -> Engine:
    return make_engine()


@cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False, autoflush=False)


def autocommit_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose statements each commit on their own, for work that is one statement.

    On PostgreSQL a transaction costs two round trips of its own (psycopg sends ``BEGIN``
    before the first statement and ``COMMIT`` after the last); a unit of work whose writes
    are a single statement (the audited look-up: its read and its audit entry are one
    data-modifying CTE) is just as atomic in autocommit, in one round trip. Savepoints
    (``begin_nested``) fail in this mode. SQLite gets the ordinary, transactional sessions:
    its statements cost no round trips, and its look-up is two statements.
    """
    if engine.dialect.name != "postgresql":
        return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
    return sessionmaker(
        bind=engine.execution_options(isolation_level="AUTOCOMMIT"),
        expire_on_commit=False,
        autoflush=False,
    )


@cache
def get_autocommit_sessionmaker() -> sessionmaker[Session]:
    return autocommit_sessionmaker(get_engine())


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = (
        session_or_engine.get_bind()
        if isinstance(session_or_engine, Session)
        else session_or_engine
    )
    return bind.dialect.name == "postgresql"
