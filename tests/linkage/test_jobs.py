"""Linkage runs as jobs: results stored, progress persisted, resume or clean failure after a
simulated restart; run by the job system's workers, and completed by a new worker after
the one running it died."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import dancu
from dancu.common import jobs
from dancu.common.audit import AuditEntry
from dancu.common.errors import Conflict
from dancu.common.outbox import OutboxEvent
from dancu.db import get_sessionmaker, utcnow
from dancu.db.uow import unit_of_work
from dancu.linkage import runs, service, tasks
from dancu.linkage.events import RUN_QUEUED
from dancu.linkage.models import LinkageJob, MatchResult
from tests.common.test_jobs import wait_until
from tests.linkage import world as wd


@pytest.fixture
def imported(factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    with factory() as session:
        w = wd.build(session)
        out = service.import_dataset(
            session,
            wd.social_insurance_csv(w).encode(),
            file_name="bhxh.csv",
            source_type="social_insurance",
            province_code=wd.PROVINCE,
            actor=wd.clerk(),
            today=wd.TODAY,
        )
        session.commit()
    return w, out.source.id


def enqueue(factory: sessionmaker[Session], source_id: int) -> int:
    with factory() as session:
        job = runs.enqueue_run(session, source_id, actor=wd.clerk())
        session.commit()
    return job.id


def outcomes(session: Session, source_id: int) -> dict[int, tuple[str, str | None]]:
    from dancu.linkage.models import SectorRecord

    stmt = (
        select(SectorRecord.line, MatchResult.outcome, MatchResult.citizen_pid)
        .join(MatchResult, MatchResult.record_id == SectorRecord.id)
        .where(SectorRecord.source_id == source_id)
    )
    return {line: (outcome, pid) for line, outcome, pid in session.execute(stmt)}


def test_a_run_links_every_record_and_reports_progress(factory, imported) -> None:  # type: ignore[no-untyped-def]
    w, source_id = imported
    job_id = enqueue(factory, source_id)
    seen: list[tuple[str, int, int]] = []
    job = tasks.run_job(factory, job_id, progress=lambda *a: seen.append(a))
    n = 6 + wd.FILLER
    assert (job.status, job.step, job.done, job.total, job.error) == ("done", "done", n, n, None)
    assert ("store", n, n) in seen and any(s.startswith("match:") for s, _, _ in seen)
    with factory() as session:
        got = outcomes(session, source_id)
        bulk_reads = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "citizen.bulk_read")
        ).all()
        stored = session.get(LinkageJob, job_id)
        # The run keeps its calibration (here too few labels: left raw, with the reason).
        assert stored is not None and stored.calibration is not None
        assert stored.calibration["method"] in ("isotonic", "none")
    assert got[2] == ("synced", w.pid(0))
    assert got[3] == ("synced", w.pid(1))
    assert got[4][0] == "synced_with_differences" and got[4][1] == w.pid(2)
    assert got[5][0] == "synced_with_differences" and got[5][1] == w.pid(3)
    assert got[6] == ("synced", w.pid(4))
    assert got[7] == ("not_found", None)
    assert len(bulk_reads) == 1
    assert (bulk_reads[0].purpose, bulk_reads[0].subject_id) == ("data_maintenance", wd.PROVINCE)
    assert f"count={6 + wd.FILLER}" in bulk_reads[0].fields
    assert all(got[line] == ("synced", c.pid) for line, c in enumerate(w.filler, 9))


def test_one_active_run_per_dataset(factory, imported) -> None:  # type: ignore[no-untyped-def]
    _, source_id = imported
    enqueue(factory, source_id)
    with pytest.raises(Conflict) as err:
        enqueue(factory, source_id)
    assert err.value.code == "linkage.run_active"


def _simulate_crash_mid_store(factory, source_id: int) -> int:  # type: ignore[no-untyped-def]
    """A run that stored 2 of 6 results, then the process died (heartbeat an hour old)."""
    job_id = enqueue(factory, source_id)
    original = runs.CHUNK
    runs.CHUNK = 2
    calls = {"n": 0}
    real_store = runs.store_chunk

    def dying_store(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("killed")  # not an Exception: the job's boundary does not catch it
        real_store(*args, **kwargs)

    runs.store_chunk = dying_store  # type: ignore[assignment]
    try:
        with pytest.raises(SystemExit):
            tasks.run_job(factory, job_id)
    finally:
        runs.store_chunk, runs.CHUNK = real_store, original  # type: ignore[assignment]
    with factory() as session:
        job = session.get(LinkageJob, job_id)
        assert job is not None and (job.status, job.step, job.done) == ("running", "match", 2)
        job.heartbeat_at = utcnow() - timedelta(hours=1)
        session.commit()
    return job_id


def test_a_stale_running_job_is_resumed_from_its_last_step(factory, imported) -> None:  # type: ignore[no-untyped-def]
    w, source_id = imported
    job_id = _simulate_crash_mid_store(factory, source_id)
    assert tasks.recover_stale(factory) == {job_id: "resumed"}
    with factory() as session:  # the outbox hands it to the job queue again
        queued = session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.topic == RUN_QUEUED)
        ).all()
    assert {"job_id": job_id, "source_id": source_id} in queued
    finished = tasks.run_job(factory, job_id)  # what the job does when a worker takes it
    n = 6 + wd.FILLER
    assert (finished.id, finished.status, finished.done, finished.attempts) == (
        job_id,
        "done",
        n,
        2,
    )
    with factory() as session:
        got = outcomes(session, source_id)
        results = session.scalar(select(func.count()).select_from(MatchResult)) or 0
    assert results == n and got[2] == ("synced", w.pid(0)) and got[7] == ("not_found", None)


def test_a_fresh_heartbeat_is_left_alone(factory, imported) -> None:  # type: ignore[no-untyped-def]
    _, source_id = imported
    job_id = _simulate_crash_mid_store(factory, source_id)
    with factory() as session:
        session.get(LinkageJob, job_id).heartbeat_at = utcnow()  # type: ignore[union-attr]
        session.commit()
    assert tasks.recover_stale(factory) == {}


def test_a_job_that_keeps_dying_is_failed_with_the_reason(factory, imported) -> None:  # type: ignore[no-untyped-def]
    _, source_id = imported
    job_id = _simulate_crash_mid_store(factory, source_id)
    assert tasks.recover_stale(factory, max_attempts=1) == {job_id: "failed"}
    with factory() as session:
        job = session.get(LinkageJob, job_id)
        assert job is not None and job.status == "failed" and job.finished_at is not None
        assert "interrupted at step match" in (job.error or "")
        assert "after 1 attempts" in (job.error or "")
    with pytest.raises(Conflict):  # a failed job is not run again
        tasks.run_job(factory, job_id)


def test_an_engine_error_fails_the_job_cleanly(factory, imported, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, source_id = imported
    job_id = enqueue(factory, source_id)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("splink exploded")

    monkeypatch.setattr(runs, "link", broken)
    job = tasks.run_job(factory, job_id)
    assert (job.status, job.error) == ("failed", "ValueError: splink exploded")
    with factory() as session:
        assert (session.scalar(select(func.count()).select_from(MatchResult)) or 0) == 0


def test_the_job_system_runs_a_queued_run(worker) -> None:  # type: ignore[no-untyped-def]
    """Queued through the API's code path: the outbox hands the run to the queue after the
    commit, a worker claims and runs it (this replaced the server's worker thread)."""
    w, source_id = import_committed()
    with unit_of_work() as session:
        job_id = runs.enqueue_run(session, source_id, actor=wd.clerk()).id
    assert wait_until(lambda: job_state(job_id)[0] == "done", timeout=120), job_state(job_id)
    assert job_state(job_id) == ("done", "done", 6 + wd.FILLER, 1)
    with get_sessionmaker()() as session:
        got = outcomes(session, source_id)
    assert got[2] == ("synced", w.pid(0)) and got[7] == ("not_found", None)


def test_a_run_queued_in_a_rolled_back_transaction_never_reaches_the_queue(job_store) -> None:  # type: ignore[no-untyped-def]
    _, source_id = import_committed()
    with pytest.raises(RuntimeError), unit_of_work() as session:
        runs.enqueue_run(session, source_id, actor=wd.clerk())
        raise RuntimeError("the request failed after queueing the run")
    assert jobs.queue.pending_count() == 0
    with unit_of_work() as session:
        job_id = runs.enqueue_run(session, source_id, actor=wd.clerk()).id
    assert [(type(t).__name__, t.args) for t in jobs.queue.pending()] == [("run", (job_id,))]


# ------------------------------------------------------------- a worker dies mid-run

# `dancu worker`, whose process dies (os._exit: no exception handler, no cleanup, as with
# kill -9) when it is about to store the second chunk of results; chunks of 2 records.
DYING_WORKER = """
import os
from dancu.linkage import runs
runs.CHUNK = 2
calls, real_store = [], runs.store_chunk
def dying_store(*args, **kwargs):
    calls.append(1)
    if len(calls) == 2:
        os._exit(9)
    real_store(*args, **kwargs)
runs.store_chunk = dying_store
from dancu.cli import app
app()
"""
STALE_SECONDS = "3"  # the tests' workers take a run for dead after 3 s without a heartbeat


def _dancu_worker(log: Path, code: str = "from dancu.cli import app; app()") -> subprocess.Popen:  # type: ignore[type-arg]
    src = str(Path(dancu.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "DANCU_LINKAGE_STALE_SECONDS": STALE_SECONDS,
    }
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-c", code, "worker", "--workers", "2"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_linkage_run_survives_a_worker_that_dies_mid_run(job_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w, source_id = import_committed()
    log = tmp_path / "workers.log"
    with unit_of_work() as session:
        job_id = runs.enqueue_run(session, source_id, actor=wd.clerk()).id
    first = _dancu_worker(log, DYING_WORKER)
    try:
        assert first.wait(timeout=120) == 9, log.read_text()
    finally:
        _stop(first)
    assert job_state(job_id) == ("running", "match", 2, 1)  # 2 results stored, then death

    second = _dancu_worker(log)  # a new worker: recovers the run and resumes it
    try:
        assert wait_until(lambda: job_state(job_id)[0] == "done", timeout=120), log.read_text()
    finally:
        _stop(second)
    assert second.returncode == 0, log.read_text()
    n = 6 + wd.FILLER
    assert job_state(job_id) == ("done", "done", n, 2)
    with get_sessionmaker()() as session:
        got = outcomes(session, source_id)
        results = session.scalar(select(func.count()).select_from(MatchResult)) or 0
        error = session.get(LinkageJob, job_id).error  # type: ignore[union-attr]
        runs_audited = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "linkage.run")
        )
    assert results == n and len(got) == n  # one result per record: none lost, none twice
    assert got[2] == ("synced", w.pid(0)) and got[3] == ("synced", w.pid(1))
    assert got[4][0] == "synced_with_differences" and got[4][1] == w.pid(2)
    assert got[7] == ("not_found", None)
    assert all(got[line] == ("synced", c.pid) for line, c in enumerate(w.filler, 9))
    assert "interrupted at step match" in (error or "") and runs_audited == 1


@pytest.mark.parametrize("job_store", ["sqlite"], indirect=True)
def test_a_linkage_run_survives_kill_9_of_its_worker(job_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, source_id = import_committed(filler=3000)  # a run of a few seconds
    log = tmp_path / "workers.log"
    first = _dancu_worker(log)
    try:
        with unit_of_work() as session:
            job_id = runs.enqueue_run(session, source_id, actor=wd.clerk()).id
        assert wait_until(lambda: job_state(job_id)[0] == "running", timeout=120), log.read_text()
        time.sleep(0.3)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        _stop(first)
    assert job_state(job_id)[0] == "running", "the run ended before the kill: make it longer"

    second = _dancu_worker(log)
    try:
        assert wait_until(lambda: job_state(job_id)[0] == "done", timeout=180), log.read_text()
    finally:
        _stop(second)
    n = 6 + 3000
    assert job_state(job_id) == ("done", "done", n, 2)
    with get_sessionmaker()() as session:
        assert len(outcomes(session, source_id)) == n


# ------------------------------------------------------------- helpers on a real database


def import_committed(*, filler: int = wd.FILLER) -> tuple[wd.World, int]:
    """The world and its social-insurance file, committed in the ``cli_database`` file."""
    with unit_of_work() as session:
        w = wd.build(session, filler=filler)
        out = service.import_dataset(
            session,
            wd.social_insurance_csv(w).encode(),
            file_name="bhxh.csv",
            source_type="social_insurance",
            province_code=wd.PROVINCE,
            actor=wd.clerk(),
            today=wd.TODAY,
        )
    return w, out.source.id


def job_state(job_id: int) -> tuple[str, str, int, int]:
    with get_sessionmaker()() as session:
        job = session.get(LinkageJob, job_id)
        assert job is not None
        return job.status, job.step, job.done, job.attempts
