"""Cleaning jobs on the job system (docs/adr/0005-job-system.md), as linkage imports run.

``service.queue_job`` emits ``CLEANING_QUEUED``; after the commit the outbox calls
:func:`on_cleaning_queued`, which enqueues :func:`clean`: it claims the job, cleans the list
in one transaction and marks it done, or marks it failed with the error's code in another,
then removes the upload. Reading the list writes nothing but the progress (the step, the
lines read), each in a transaction of its own, so the bank sees it while the job runs; the
registry reads, the result and the audit entries are one transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dancu.common.errors import DancuError, NotFound
from dancu.common.jobs import queue
from dancu.common.outbox import Dispatcher, dispatcher
from dancu.db import get_sessionmaker
from dancu.db.uow import unit_of_work
from dancu.exchange.cleaning import service
from dancu.exchange.cleaning.schemas import CleaningJobOut
from dancu.exchange.events import CLEANING_QUEUED

log = logging.getLogger(__name__)
Factory = sessionmaker[Session]


@queue.task(retries=3, retry_delay=30, retry_backoff=2)
def clean(job_id: int) -> None:
    """Claim a queued list and clean it."""
    try:
        run_job(get_sessionmaker(), job_id)
    except NotFound as exc:
        log.info("cleaning job %s not started: %s", job_id, exc.message)


def on_cleaning_queued(session: Session, payload: dict[str, Any]) -> None:
    """Outbox handler: the upload's transaction committed; enqueue its job."""
    clean(int(payload["job_id"]))


def subscribe(target: Dispatcher = dispatcher) -> None:
    target.subscribe(CLEANING_QUEUED, on_cleaning_queued)


def run_job(factory: Factory, job_id: int) -> CleaningJobOut | None:
    """Claim and run a job; an error marks it failed with its code (not raised). None: it
    was not queued (done, failed or another worker's)."""
    with unit_of_work(factory) as session:
        if not service.claim(session, job_id):
            return None

    def progress(step: str, lines: int) -> None:
        with unit_of_work(factory) as session:
            service.set_progress(session, job_id, step, lines)

    try:
        with unit_of_work(factory) as session:
            upload = service.upload_of(session, job_id)
        customers = service.read_list(upload, progress=progress)
        progress("match", customers.lines)
        with unit_of_work(factory) as session:
            service.finish(session, job_id, customers)
    except DancuError as exc:  # a refused list: its reason, by code, for the bank
        with unit_of_work(factory) as session:
            service.fail(session, job_id, exc.message, code=exc.code, field=exc.field)
    except Exception as exc:  # the job's boundary: any failure is recorded on the job
        log.exception("cleaning job %s failed", job_id)
        with unit_of_work(factory) as session:
            service.fail(session, job_id, f"{type(exc).__name__}: {exc}", code=None, field=None)
    with unit_of_work(factory) as session:
        service.discard_upload(session, job_id)
        return service.status(session, job_id)
