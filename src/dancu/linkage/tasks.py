"""Linkage runs as background jobs: claimed by one worker, run step by step, resumable.

Each step of :mod:`dancu.linkage.runs` ends in a commit that records the step and the
progress (``done``/``total``) and beats the heartbeat. A job left ``running`` by a process
that died (a restart, a crash) has a stale heartbeat: ``recover_stale`` queues it again, so
that it resumes from its last completed step, or, after ``MAX_ATTEMPTS`` tries, marks it
failed with the reason. The server runs a :class:`Worker` thread; ``dancu linkage run``
runs a job in the foreground.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from dancu.common.errors import Conflict, NotFound
from dancu.db import utcnow
from dancu.db.uow import unit_of_work
from dancu.linkage import repository as repo
from dancu.linkage import runs
from dancu.linkage.errors import LinkageErrorCode
from dancu.linkage.models import LinkageJob
from dancu.linkage.schemas import JobOut

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
STALE_AFTER = timedelta(minutes=10)  # no heartbeat for this long: the process is gone
MAX_ATTEMPTS = 3
Factory = sessionmaker[Session]
Progress = Callable[[str, int, int], None]


def run_job(factory: Factory, job_id: int, *, progress: Progress | None = None) -> JobOut:
    """Claim a queued job and run its remaining steps; a failure marks it failed (not raised)."""
    with unit_of_work(factory) as session:
        job = repo.job(session, job_id)
        if job is None:
            raise NotFound("No such run", code=LinkageErrorCode.JOB_NOT_FOUND, field="job_id")
        if not repo.claim(session, job_id, utcnow()):
            raise Conflict("This run is not waiting to run", code=LinkageErrorCode.JOB_NOT_QUEUED)
        session.refresh(job)
        job.started_at = job.started_at or utcnow()
        step = job.step
    try:
        if step in ("queued", "match"):
            _match(factory, job_id, progress)
        _finalize(factory, job_id)
    except Exception as exc:  # the job's boundary: any failure is recorded on the job
        log.exception("linkage job %s failed", job_id)
        _fail(factory, job_id, f"{type(exc).__name__}: {exc}")
    return _load(factory, job_id)


def _match(factory: Factory, job_id: int, progress: Progress | None) -> None:
    report = progress or (lambda step, done, total: None)
    with unit_of_work(factory) as session:
        job = _get(session, job_id)
        job.step = "match"
        sector, citizens = runs.prepare_match(session, job)
        job.total, job.heartbeat_at = len(sector), utcnow()
    report("read", len(sector), len(sector))

    def engine_progress(step: str, done: int, total: int) -> None:
        _beat(factory, job_id)
        report(f"match:{step}", done, total)

    outcomes = runs.link(sector, citizens, progress=engine_progress)
    places = runs.places_of(sector)
    communes = dict(zip(citizens["pid"], citizens["commune_code"], strict=True))
    with unit_of_work(factory) as session:
        job = _get(session, job_id)
        pending = runs.pending_rows(session, job, outcomes)
        job.done = job.total - len(pending)
        total = job.total
    for start in range(0, len(pending), runs.CHUNK):
        with unit_of_work(factory) as session:
            job = _get(session, job_id)
            runs.store_chunk(session, job, pending[start : start + runs.CHUNK], places, communes)
            done = job.done
        report("store", done, total)
    with unit_of_work(factory) as session:
        _get(session, job_id).step = "finalize"


def _finalize(factory: Factory, job_id: int) -> None:
    with unit_of_work(factory) as session:
        runs.finalize(session, _get(session, job_id))


def _fail(factory: Factory, job_id: int, reason: str) -> None:
    with unit_of_work(factory) as session:
        now = utcnow()
        session.execute(
            update(LinkageJob)
            .where(LinkageJob.id == job_id)
            .values(status="failed", error=reason[:1000], finished_at=now, heartbeat_at=now)
        )


def _beat(factory: Factory, job_id: int) -> None:
    with unit_of_work(factory) as session:
        session.execute(
            update(LinkageJob).where(LinkageJob.id == job_id).values(heartbeat_at=utcnow())
        )


def _get(session: Session, job_id: int) -> LinkageJob:
    job = repo.job(session, job_id)
    assert job is not None  # claimed above; jobs are never deleted while running
    return job


def _load(factory: Factory, job_id: int) -> JobOut:
    with factory() as session:
        return JobOut.model_validate(_get(session, job_id))


def recover_stale(
    factory: Factory,
    *,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    max_attempts: int = MAX_ATTEMPTS,
) -> dict[int, str]:
    """Jobs left running by a dead process: queued again to resume, or failed with the reason.

    Returns job id -> "resumed" or "failed". Each change is ``UPDATE ... WHERE
    status = 'running'``, so two processes recovering at once do not both act.
    """
    now = now or utcnow()
    actions: dict[int, str] = {}
    with unit_of_work(factory) as session:
        for job in repo.stale_jobs(session, now - stale_after):
            beat = job.heartbeat_at.isoformat() if job.heartbeat_at else "never"
            if job.attempts < max_attempts:
                values = {
                    "status": "queued",
                    "error": f"interrupted at step {job.step} (last heartbeat {beat}); resumed",
                }
                action = "resumed"
            else:
                values = {
                    "status": "failed",
                    "finished_at": now,
                    "error": f"interrupted at step {job.step} (last heartbeat {beat})"
                    f" and not resumed after {job.attempts} attempts",
                }
                action = "failed"
            changed = session.execute(
                update(LinkageJob)
                .where(LinkageJob.id == job.id, LinkageJob.status == "running")
                .values(**values)
            )
            if changed.rowcount == 1:  # type: ignore[attr-defined]
                actions[job.id] = action
    return actions


def run_pending(factory: Factory, *, progress: Progress | None = None) -> list[JobOut]:
    """Recover stale jobs, then run every queued one (the worker's tick)."""
    recover_stale(factory)
    with factory() as session:
        queued = repo.queued_job_ids(session)
    finished = []
    for job_id in queued:
        try:
            finished.append(run_job(factory, job_id, progress=progress))
        except Conflict:  # another worker claimed it first
            continue
    return finished


class Worker:
    """A daemon thread running queued linkage jobs every ``interval`` seconds.

    ``stop`` does not wait for a long run: the thread dies with the process, the job's
    heartbeat goes stale, and the next start resumes it.
    """

    def __init__(self, factory: Factory, interval: float = POLL_SECONDS) -> None:
        self.factory, self.interval = factory, interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="linkage-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                run_pending(self.factory)
            except Exception:  # logged; the next tick tries again
                log.exception("linkage worker tick failed")
