"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

Each backend gets a fresh database, migrated once per worker with Alembic (so the tests
exercise the real schema, triggers included); each test runs inside a transaction that is
rolled back. Services and routes see sessions that turn commits into savepoint releases.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from huey.storage import MemoryStorage
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from dancu import cli, db, settings
from dancu.app import create_app
from dancu.cli import alembic_config
from dancu.common import jobs
from dancu.common.access import Actor, Role
from dancu.db import make_engine
from dancu.db.uow import unit_of_work
from dancu.identity.oidc import bearer as api_tokens
from dancu.web import deps
from dancu.web.auth import issue_token

PG_URL = os.environ.get("DANCU_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("DANCU_REQUIRE_POSTGRES") == "1"
REDIS_URL = os.environ.get("DANCU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _pg_available() -> bool:
    if not PG_URL:
        return False
    try:
        engine = create_engine(_driver(PG_URL))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # any connection failure means "not here"
        return False


def _driver(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


BACKENDS = ["sqlite"]
if REQUIRE_PG or _pg_available():
    BACKENDS.append("postgresql")


def _migrate(url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


@pytest.fixture(scope="session", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "dancu.db"
        url = f"sqlite:///{path}"
        _migrate(url)
        eng = make_engine(url)
        yield eng
        eng.dispose()
        return
    name = f"dancu_test_{worker}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(_driver(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    _migrate(url)
    eng = make_engine(url)
    yield eng
    eng.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions inside the test's transaction: their commits only release savepoints."""
    return sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as s:
        yield s


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


@pytest.fixture
def app(factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    application = create_app()
    # Tests see a revocation at once: the uncached verifier (the cache's bound is tested in
    # tests/identity/test_api_token_cache.py).
    application.state.bearer_verifier = api_tokens.verify

    def test_session() -> Iterator[Session]:
        with unit_of_work(factory) as s:
            yield s

    application.dependency_overrides[deps.db_session] = test_session
    return application


@pytest.fixture
def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app)


PROVINCE = "66"  # Đắk Lắk
COMMUNE = "24121"  # a commune of Đắk Lắk (see tests/registry/factories.py)
OTHER_PROVINCE_COMMUNE = "00004"  # Phường Ba Đình, Hà Nội


def make_actor(
    *roles: Role, units: tuple[str, ...] = (PROVINCE,), name: str = "Test officer"
) -> Actor:
    return Actor(
        id=f"officer:test-{'-'.join(roles)}",
        name=name,
        roles=frozenset(roles),
        units=units,
        organization="Test org",
    )


@pytest.fixture
def clerk() -> Actor:
    return make_actor(Role.REGISTRY_CLERK, Role.POLICE)


@pytest.fixture
def system() -> Actor:
    return make_actor(Role.SYSTEM, units=())


def bearer(actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(actor)}"}


TODAY = date(2026, 1, 15)
ROOT = Path(__file__).resolve().parents[1]


def _clear_caches() -> None:
    if db.get_engine.cache_info().currsize:
        db.get_engine().dispose()
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()
    db.get_autocommit_sessionmaker.cache_clear()
    jobs.queue.reset()


@pytest.fixture(autouse=True)
def _fresh_job_queue() -> Iterator[None]:
    """Jobs a test enqueues wait in memory, in a queue of the test's own. A test that
    changes the settings (``cli_database``, ``job_store``) gets the store they name."""
    jobs.queue.reset()
    jobs.queue.storage = MemoryStorage("dancu")
    yield
    jobs.queue.reset()


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file that the ``dancu`` command uses through DANCU_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DANCU_DATABASE_URL", url)
    _clear_caches()
    result = CliRunner().invoke(cli.app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    yield url
    _clear_caches()


def _redis_answers() -> bool:
    try:
        import redis
    except ImportError:  # the client is a dev extra
        return False
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite", "redis", "postgresql"])
def job_store(
    request: pytest.FixtureRequest,
    cli_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """The job queue in a store of its own beside ``cli_database``: a SQLite file, a queue of
    its own in the Redis on 127.0.0.1:6379, or a PostgreSQL database of its own (each
    skipped when its server does not answer)."""
    own_database = None
    if request.param == "redis":
        if not _redis_answers():
            pytest.skip(f"Redis does not answer at {REDIS_URL}")
        url = REDIS_URL
        monkeypatch.setenv("DANCU_JOBS_QUEUE", f"dancu_test_{uuid.uuid4().hex[:8]}")
    elif request.param == "postgresql":
        if "postgresql" not in BACKENDS:
            pytest.skip("PostgreSQL does not answer")
        own_database = f"dancu_jobs_{uuid.uuid4().hex[:8]}"
        url = _create_database(own_database)
    else:
        url = f"sqlite:///{tmp_path / 'jobs.db'}"
    monkeypatch.setenv("DANCU_JOBS_URL", url)
    _clear_caches()
    yield url
    if own_database is None:
        jobs.queue.storage.flush_all()  # in Redis: this queue's keys only
    _clear_caches()
    if own_database is not None:
        _drop_database(own_database)


def _create_database(name: str) -> str:
    admin = create_engine(_driver(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + name


def _drop_database(name: str) -> None:
    admin = create_engine(_driver(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, not migrated (a SQLite file, or a PostgreSQL database of its own,
    dropped afterwards): for tests of the migrations themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    name = f"dancu_migrations_{uuid.uuid4().hex[:8]}"
    yield _create_database(name)
    _drop_database(name)


def migrated_database(prefix: str) -> Iterator[sessionmaker[Session]]:
    """A PostgreSQL database of its own (``prefix`` and a random tail), migrated to head, as
    a session factory; dropped afterwards. For modules that commit (races, durability), so
    the shared test database stays as it was. Use as a module fixture's body:
    ``yield from migrated_database("dancu_test_races")``."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = _create_database(name)
    try:
        _migrate(url)
        engine = make_engine(url)
        yield sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
        engine.dispose()
    finally:
        _drop_database(name)


@pytest.fixture
def worker(job_store: str) -> Iterator[jobs.InProcessWorker]:
    """A worker (scheduler and two threads) in this process, on ``job_store``."""
    running = jobs.start_in_process(workers=2)
    yield running
    running.stop(timeout=30)
