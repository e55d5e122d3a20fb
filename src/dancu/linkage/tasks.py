"""Linkage imports and runs as jobs of the job system (docs/adr/0005-job-system.md).

``imports.queue_import`` stores an upload and emits ``IMPORT_QUEUED``; after the commit the
outbox calls :func:`on_import_queued`, which enqueues :func:`import_file`: it claims the
import, imports the file in one transaction and marks it done, or marks it failed with the
error's code in another (:func:`run_import`), and removes the upload. While it runs, a
heartbeat thread renews the import's lease; the scheduled job :func:`recover_imports`
queues again (or fails, with ``linkage.import_interrupted``) an import whose worker died.

``runs.enqueue_run`` queues a run (a ``linkage_job`` row) and emits ``RUN_QUEUED`` in the
same transaction; after the commit the outbox calls :func:`on_run_queued`, which enqueues
the job :func:`run`. So a rolled-back request queues nothing, and a crash between the
commit and the queue loses nothing (the event stays undelivered and is delivered later).

The job claims the run (``UPDATE ... WHERE status = 'queued'``: a duplicate message finds
nothing to claim) and runs the steps of :mod:`dancu.linkage.runs`, each ending in a commit
that records the step and the progress. Meanwhile a heartbeat thread renews
``heartbeat_at``. A run whose heartbeat is older than ``DANCU_LINKAGE_STALE_SECONDS`` lost
its worker (a crash, a kill, a stopped server): the scheduled job :func:`recover` queues it
again, to resume from its last completed step, or after ``MAX_ATTEMPTS`` tries fails it with
the reason. ``dancu linkage run`` runs a run in the foreground with the same code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from dancu.common import outbox
from dancu.common.errors import Conflict, DancuError, NotFound
from dancu.common.jobs import every, periodic, queue
from dancu.common.outbox import Dispatcher, dispatcher
from dancu.db import get_sessionmaker, utcnow
from dancu.db.uow import unit_of_work
from dancu.linkage import imports, runs
from dancu.linkage import repository as repo
from dancu.linkage.events import IMPORT_QUEUED, RUN_QUEUED
from dancu.linkage.models import LinkageJob
from dancu.linkage.schemas import ImportStatusOut
from dancu.settings import get_settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
Factory = sessionmaker[Session]
Progress = Callable[[str, int, int], None]


# ---------------------------------------------------------------------------- the jobs


@queue.task(retries=3, retry_delay=30, retry_backoff=2)
def run(job_id: int) -> None:
    """Claim a queued run and execute its remaining steps (retried if the claim fails)."""
    try:
        run_job(get_sessionmaker(), job_id)
    except (Conflict, NotFound) as exc:  # done, failed or claimed meanwhile: nothing to do
        log.info("linkage run %s not started: %s", job_id, exc.message)


@periodic(every(lambda settings: recovery_seconds(settings.linkage_stale_seconds)))
def recover() -> dict[int, str]:
    """Queue again (or fail) the runs whose worker died."""
    return recover_stale(get_sessionmaker())


def recovery_seconds(stale_seconds: float) -> float:
    """How often :func:`recover` looks: a quarter of the staleness, between 1 s and 60 s."""
    return min(60.0, max(1.0, stale_seconds / 4))


@periodic(every(lambda settings: recovery_seconds(settings.linkage_stale_seconds)), priority=-10)
def recover_imports() -> dict[int, str]:
    """Queue again (or fail) the imports whose worker died."""
    return recover_stale_imports(get_sessionmaker())


@periodic(every(lambda settings: 3600.0), priority=-10)  # housekeeping: after the rest
def clean_uploads() -> int:
    """Remove the orphan uploads (``imports.clean_uploads``), hourly."""
    return len(clean_orphan_uploads(get_sessionmaker()))


def clean_orphan_uploads(factory: Factory, *, grace: timedelta | None = None) -> list[Path]:
    with unit_of_work(factory) as session:
        removed = imports.clean_uploads(
            session, grace=imports.UPLOAD_GRACE if grace is None else grace
        )
    if removed:
        log.info("linkage: removed %d orphan upload(s)", len(removed))
    return removed


def recover_stale_imports(
    factory: Factory, *, now: datetime | None = None, stale_after: timedelta | None = None
) -> dict[int, str]:
    if stale_after is None:
        stale_after = timedelta(seconds=get_settings().linkage_stale_seconds)
    with unit_of_work(factory) as session:
        actions = imports.recover_stale(session, stale_after=stale_after, now=now)
    for import_id, action in actions.items():
        log.warning("linkage import %s: its worker died; %s", import_id, action)
    return actions


def on_run_queued(session: Session, payload: dict[str, Any]) -> None:
    """Outbox handler: the transaction that queued the run committed; enqueue its job."""
    run(int(payload["job_id"]))


@queue.task(retries=3, retry_delay=30, retry_backoff=2)
def import_file(import_id: int) -> None:
    """Claim a queued upload and import it (retried if the claim fails)."""
    try:
        run_import(get_sessionmaker(), import_id)
    except NotFound as exc:
        log.info("linkage import %s not started: %s", import_id, exc.message)


def on_import_queued(session: Session, payload: dict[str, Any]) -> None:
    """Outbox handler: the transaction that stored the upload committed; enqueue its import."""
    import_file(int(payload["import_id"]))


def subscribe(target: Dispatcher = dispatcher) -> None:
    target.subscribe(RUN_QUEUED, on_run_queued)
    target.subscribe(IMPORT_QUEUED, on_import_queued)


# ---------------------------------------------------------------------------- an import


def run_import(
    factory: Factory, import_id: int, *, progress: Progress | None = None
) -> ImportStatusOut | None:
    """Claim a queued import and run it in one transaction; an error marks it failed with
    its code (not raised). None: it was not queued (done, failed or another worker's)."""
    with unit_of_work(factory) as session:
        if not imports.claim(session, import_id):
            return None
    try:
        with (
            _heartbeat(f"import-{import_id}", lambda: _beat_import(factory, import_id)),
            unit_of_work(factory) as session,
        ):
            imports.execute(session, import_id, progress=progress)
    except DancuError as exc:  # a refused file: its reason, by code, for the officer
        with unit_of_work(factory) as session:
            imports.fail(session, import_id, exc.message, code=exc.code, field=exc.field)
    except Exception as exc:  # the job's boundary: any failure is recorded on the import
        log.exception("linkage import %s failed", import_id)
        with unit_of_work(factory) as session:
            imports.fail(session, import_id, f"{type(exc).__name__}: {exc}", code=None, field=None)
    with unit_of_work(factory) as session:
        imports.discard_upload(session, import_id)
        return imports.status(session, import_id)


# ---------------------------------------------------------------------------- a run

# The run's body lives in ``runs`` (no job-queue import: ``dancu linkage run`` starts
# without it); the job above and the recovery below drive it.
run_job = runs.run_job
_heartbeat = runs.heartbeat


def _beat_import(factory: Factory, import_id: int) -> None:
    with unit_of_work(factory) as session:
        imports.beat(session, import_id)


def recover_stale(
    factory: Factory,
    *,
    now: datetime | None = None,
    stale_after: timedelta | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> dict[int, str]:
    """Runs left running by a dead worker: queued again to resume, or failed with the reason.

    Returns job id -> "resumed" or "failed". Each change is ``UPDATE ... WHERE
    status = 'running'``, so two workers recovering at once do not both act; a resumed run
    emits ``RUN_QUEUED`` in the same transaction, so that a worker picks it up.
    """
    now = now or utcnow()
    if stale_after is None:
        stale_after = timedelta(seconds=get_settings().linkage_stale_seconds)
    actions: dict[int, str] = {}
    with unit_of_work(factory) as session:
        for job in repo.stale_jobs(session, now - stale_after):
            action, values = _recovery(job, now, max_attempts)
            changed = session.execute(
                update(LinkageJob)
                .where(LinkageJob.id == job.id, LinkageJob.status == "running")
                .values(**values)
            )
            if changed.rowcount == 1:  # type: ignore[attr-defined]
                actions[job.id] = action
                if action == "resumed":
                    outbox.emit(session, RUN_QUEUED, {"job_id": job.id, "source_id": job.source_id})
    return actions


def _recovery(job: LinkageJob, now: datetime, max_attempts: int) -> tuple[str, dict[str, Any]]:
    beat = job.heartbeat_at.isoformat() if job.heartbeat_at else "never"
    if job.attempts < max_attempts:
        error = f"interrupted at step {job.step} (last heartbeat {beat}); resumed"
        return "resumed", {"status": "queued", "error": error}
    error = (
        f"interrupted at step {job.step} (last heartbeat {beat})"
        f" and not resumed after {job.attempts} attempts"
    )
    return "failed", {"status": "failed", "finished_at": now, "error": error}
