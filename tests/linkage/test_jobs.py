"""Linkage runs as jobs: results stored, progress persisted, resume or clean failure after a
simulated restart, decisions kept across runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dancu.common.audit import AuditEntry
from dancu.common.errors import Conflict
from dancu.db import utcnow
from dancu.linkage import runs, service, tasks
from dancu.linkage.models import LinkageJob, MatchResult
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
    finished = tasks.run_pending(factory)
    n = 6 + wd.FILLER
    assert [(j.id, j.status, j.done, j.attempts) for j in finished] == [(job_id, "done", n, 2)]
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


def test_the_server_worker_thread_runs_queued_jobs(factory, imported, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    _, source_id = imported
    job_id = enqueue(factory, source_id)
    finished = threading.Event()
    real = tasks.run_pending

    def run_and_signal(f):  # type: ignore[no-untyped-def]
        done = real(f)
        if done:
            finished.set()
        return done

    monkeypatch.setattr(tasks, "run_pending", run_and_signal)
    worker = tasks.Worker(factory, interval=0.05)
    worker.start()
    try:
        assert finished.wait(120), "the worker never ran the job"
    finally:
        worker.stop(timeout=30)
    with factory() as session:
        job = session.get(LinkageJob, job_id)
        assert job is not None and (job.status, job.done) == ("done", 6 + wd.FILLER)
