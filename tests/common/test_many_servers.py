"""Several server processes on one database do each piece of background work once.

Two ``dancu serve --workers 2`` (four uvicorn processes, each with a job worker and a
scheduler inside, as ``make run`` starts them) share one PostgreSQL database and one job
store (the database itself, or Redis). The test writes audit entries and outbox events
and enqueues jobs, then checks what the servers did with them: every audit entry sealed
once into one valid chain, every event delivered once, every job run once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

import dancu
from dancu import cli
from dancu.common import audit, audit_chain, outbox
from dancu.common.access import Actor, Role
from dancu.common.jobs import queue
from dancu.db import get_sessionmaker
from tests.common import many_servers_hooks as hooks
from tests.conftest import (
    BACKENDS,
    REDIS_URL,
    _clear_caches,
    _create_database,
    _drop_database,
    _redis_answers,
)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
BATCHES, PER_BATCH = 20, 20  # entries and events, written while the servers run
ENTRIES = EVENTS = JOBS = BATCHES * PER_BATCH
CLERK = Actor(id="clerk-1", name="Clerk", roles=frozenset({Role.REGISTRY_CLERK}), units=("66",))


@pytest.fixture(params=["postgresql", "redis"])
def shared_database(request, tmp_path, monkeypatch) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """A migrated PostgreSQL database and the job store the servers will share."""
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL does not answer")
    env = {"DANCU_DATABASE_URL": "", "DANCU_JOBS_URL": ""}
    if request.param == "redis":
        if not _redis_answers():
            pytest.skip(f"Redis does not answer at {REDIS_URL}")
        env["DANCU_JOBS_URL"] = REDIS_URL
        env["DANCU_JOBS_QUEUE"] = f"dancu_test_{uuid.uuid4().hex[:8]}"
    name = f"dancu_multi_{uuid.uuid4().hex[:8]}"
    env["DANCU_DATABASE_URL"] = _create_database(name)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    _clear_caches()
    result = CliRunner().invoke(cli.app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with get_sessionmaker()() as session, session.begin():
        session.execute(text("CREATE TABLE test_job_log (job_key INTEGER NOT NULL)"))
        session.execute(text("CREATE TABLE test_delivery_log (n INTEGER NOT NULL)"))
    yield env
    if request.param == "redis":
        queue.storage.flush_all()
    _clear_caches()
    _drop_database(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], hooks_dir: Path, port: int, log: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    src = str(Path(dancu.__file__).resolve().parents[1])
    path = os.pathsep.join([str(hooks_dir), src, str(ROOT), os.environ.get("PYTHONPATH", "")])
    full_env = {
        **os.environ,
        **env,
        "PYTHONPATH": path,
        "DANCU_AUDIT_SEAL_SECONDS": "1",
        "DANCU_OUTBOX_DISPATCH_SECONDS": "1",
        "DANCU_JOBS_IN_PROCESS": "true",
        "DANCU_JOBS_WORKERS": "2",
    }
    command = ["serve", "--port", str(port), "--workers", "2"]
    return subprocess.Popen(
        [sys.executable, "-c", "from dancu.cli import app; app()", *command],
        env=full_env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _wait_healthy(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the server on port {port} did not start")


def _write_work(batch: range) -> None:
    """Audit entries and events committed without the unit of work, so nothing here
    dispatches them: only the servers' workers do."""
    factory = get_sessionmaker()
    with factory() as session, session.begin():
        for n in batch:
            audit.record(
                session,
                CLERK,
                action="citizen.read",
                subject_type="citizen",
                subject_id=f"{n:012d}",
                purpose="administrative_procedure",
                fields=["full_name"],
            )
            outbox.emit(session, hooks.COUNTED_TOPIC, {"n": n})


def _done(session) -> bool:  # type: ignore[no-untyped-def]
    jobs = session.execute(text("SELECT count(*) FROM test_job_log")).scalar_one()
    undelivered = session.execute(
        select(func.count()).where(outbox.OutboxEvent.dispatched_at.is_(None))
    ).scalar_one()
    return jobs >= JOBS and undelivered == 0 and audit_chain.pending(session) == 0


def test_two_servers_of_two_processes_do_each_job_once(shared_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hooks_dir = tmp_path / "hooks"
    hooks_dir.mkdir()
    (hooks_dir / "sitecustomize.py").write_text(
        "from tests.common import many_servers_hooks\nmany_servers_hooks.install()\n",
        encoding="utf-8",
    )
    log = tmp_path / "servers.log"
    ports = [_free_port(), _free_port()]
    servers = [_serve(shared_database, hooks_dir, port, log) for port in ports]
    try:
        deadline = time.monotonic() + 180
        for port in ports:
            _wait_healthy(port, deadline)
        for start in range(0, ENTRIES, PER_BATCH):  # work arrives while all four run
            batch = range(start, start + PER_BATCH)
            _write_work(batch)
            for key in batch:
                hooks.count_job(key)  # enqueued into the shared store
            time.sleep(0.25)
        with get_sessionmaker()() as session:
            while not _done(session) and time.monotonic() < deadline:
                session.rollback()
                time.sleep(0.5)
        time.sleep(3)  # a second delivery or run, if any, would land now
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    output = log.read_text(encoding="utf-8", errors="replace")
    with get_sessionmaker()() as session:
        runs = session.execute(text("SELECT job_key, count(*) FROM test_job_log GROUP BY job_key"))
        run_counts = dict(runs.all())
        deliveries = session.execute(text("SELECT n, count(*) FROM test_delivery_log GROUP BY n"))
        delivery_counts = dict(deliveries.all())
        pending = audit_chain.pending(session)
        sealed = session.execute(
            select(func.count(), func.count(func.distinct(audit.AuditEntry.seq))).where(
                audit.AuditEntry.seq.is_not(None)
            )
        ).one()
    assert run_counts == dict.fromkeys(range(JOBS), 1), output[-3000:]
    assert delivery_counts == dict.fromkeys(range(EVENTS), 1), output[-3000:]
    assert pending == 0 and sealed[0] == sealed[1] >= ENTRIES
    with get_sessionmaker()() as session:
        assert audit_chain.verify(session).ok
