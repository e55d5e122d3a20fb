"""Cleaning jobs as use cases: ``queue_job`` (the bank's upload), the job's steps
(``claim``, ``execute``, ``fail``), and the bank's views (``get_job``, ``result_file``).

``queue_job`` checks what can be checked at once — the purpose, the format, the size
(streamed to disk, ``linkage.too_large`` past ``MAX_UPLOAD``), the header and the mapping
(``linkage.missing_column``...) — so a malformed file is refused before any job exists;
then it writes a queued row and emits ``CLEANING_QUEUED``. The job reads the list, reads
the registry for the ID numbers it names (and, for lines without one, the provinces their
addresses name) as the exchange, links, writes the result whole, and audits under the
bank's name each citizen it reported on. A bank sees only its own jobs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import update
from sqlalchemy.orm import Session

from dancu.common import audit, outbox
from dancu.common.access import Actor
from dancu.common.errors import NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.exchange.cleaning import engine
from dancu.exchange.cleaning.models import CleaningJob
from dancu.exchange.cleaning.schemas import CleaningJobOut
from dancu.exchange.errors import ExchangeErrorCode as Code
from dancu.exchange.events import CLEANING_QUEUED
from dancu.exchange.hygiene import accesses
from dancu.exchange.partners import service as partners
from dancu.exchange.reader import EXCHANGE_ACTOR
from dancu.linkage.dataset import open_dataset
from dancu.linkage.errors import LinkageErrorCode
from dancu.linkage.imports import store_upload
from dancu.registry import service as registry

PURPOSE = "bank_cleaning"
FORMATS = {"csv": "csv", "txt": "csv", "xlsx": "xlsx"}
MAX_UPLOAD = 50 * 2**20  # bytes
MAX_ROWS = 200_000  # lines of one list
Progress = Callable[[str, int], None]


def queue_job(
    session: Session,
    upload: BinaryIO,
    *,
    file_name: str,
    actor: Actor,
    mapping: dict[str, str] | None = None,
) -> CleaningJobOut:
    """Store a customer list and queue its cleaning (the job starts after the commit)."""
    actor.require_purpose_allowed(PURPOSE)
    file_format = _format(file_name)
    path = store_upload(upload, file_format, limit=MAX_UPLOAD)
    try:
        open_dataset(path, engine.SOURCE_TYPE, mapping, file_format=file_format)  # the header
        job = CleaningJob(
            partner=actor.id,
            actor=actor.to_dict(),
            file_name=Path(file_name).name[:255],
            file_format=file_format,
            path=str(path),
            size=path.stat().st_size,
            mapping=mapping,
        )
        session.add(job)
        session.flush()
        outbox.emit(session, CLEANING_QUEUED, {"job_id": job.id})
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return _out(job)


def _format(file_name: str) -> str:
    suffix = Path(file_name).suffix.lstrip(".").lower()
    if suffix not in FORMATS:
        raise ValidationFailed(
            f"Send the list as CSV or XLSX, not {suffix or '(no extension)'!r}",
            code=LinkageErrorCode.BAD_FORMAT,
            field="file",
        )
    return FORMATS[suffix]


# -- the job's steps ------------------------------------------------------------------------


def claim(session: Session, job_id: int) -> bool:
    """queued -> running; False if it is not queued (done, failed, or another worker's)."""
    changed = session.execute(
        update(CleaningJob)
        .where(CleaningJob.id == job_id, CleaningJob.status == "queued")
        .values(status="running", step="read", started_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return changed == 1


def upload_of(session: Session, job_id: int) -> tuple[Path, str, dict[str, str] | None]:
    """A claimed job's upload: its path, format and mapping."""
    job = _get(session, job_id)
    return Path(job.path), job.file_format, job.mapping


def read_list(
    upload: tuple[Path, str, dict[str, str] | None], *, progress: Progress | None = None
) -> engine.Customers:
    """Read and normalise the list (no transaction: ``progress`` commits its own)."""
    path, file_format, mapping = upload
    return engine.read_customers(path, file_format, mapping, max_rows=MAX_ROWS, progress=progress)


def finish(session: Session, job_id: int, customers: engine.Customers) -> None:
    """Link the list, write the result, audit and mark the job done; the caller commits
    (or rolls back and calls :func:`fail`)."""
    job = _get(session, job_id)
    by_pid, by_place = _citizens(session, customers)
    statuses = engine.link(customers, by_pid, by_place)
    target = Path(job.path).with_name(f"cleaning-{job.id}-result.{job.file_format}")
    engine.write_result(Path(job.path), job.file_format, statuses, target)
    _audit(session, Actor.from_dict(job.actor), customers, statuses, [*by_pid, *by_place])
    job.status, job.step, job.finished_at = "done", "done", utcnow()
    job.lines, job.result_path = customers.lines, str(target)
    job.counts = _counts(statuses)
    session.flush()


def _citizens(
    session: Session, customers: engine.Customers
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The registry's citizens the list can match: those its ID numbers name (one audited
    read each), and those of the provinces named by the addresses of the lines whose ID
    number the registry does not know (one audited read per province)."""
    found: dict[str, dict[str, Any]] = {}
    for pid in sorted({r["pid"] for r in customers.records if r.get("pid")}):
        with contextlib.suppress(NotFound):
            citizen = registry.read_for_release(session, pid, actor=EXCHANGE_ACTOR, purpose=PURPOSE)
            found[pid] = citizen.model_dump()
    provinces = {
        r["province_code"]
        for r in customers.records
        if r.get("province_code") and r.get("pid") not in found
    }
    placed: list[dict[str, Any]] = []
    for province in sorted(provinces):
        placed += registry.citizens_for_matching(
            session, province, actor=EXCHANGE_ACTOR, purpose=PURPOSE
        )
    return list(found.values()), [c for c in placed if c["pid"] not in found]


def _audit(
    session: Session,
    actor: Actor,
    customers: engine.Customers,
    statuses: dict[int, tuple[str, str, str]],
    citizens: list[dict[str, Any]],
) -> None:
    """The bank learnt a status for each citizen its lines named by ID number."""
    known = {c["pid"] for c in citizens}
    reported = sorted(
        {
            r["pid"]
            for r in customers.records
            if r.get("pid") in known and statuses[r["line"]][0] != "not_found"
        }
    )
    audit.record_many(
        session,
        actor,
        action="cleaning.checked",
        subject_type="citizen",
        subject_ids=reported,
        purpose=PURPOSE,
        fields=("status", "mismatched_fields"),
    )
    partner = partners.partner_of_client(session, partners.client_of(actor) or "")
    if partner is not None:  # the bank's accesses, for the review of each citizen's area
        communes = {c["pid"]: c["commune_code"] for c in citizens}
        subjects = [accesses.subject_in(pid, communes[pid]) for pid in reported]
        accesses.record(session, partner.id, PURPOSE, "cleaning", subjects)


def _counts(statuses: dict[int, tuple[str, str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status, _, _ in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    return dict(sorted(counts.items()))


def fail(
    session: Session, job_id: int, reason: str, *, code: str | None, field: str | None
) -> None:
    job = _get(session, job_id)
    job.status, job.step, job.finished_at = "failed", "failed", utcnow()
    job.error, job.error_code, job.error_field = reason[:1000], code, field
    session.flush()


def discard_upload(session: Session, job_id: int) -> None:
    """Remove a finished job's upload (the result, if any, holds the bank's rows)."""
    job = _get(session, job_id)
    if job.status in ("done", "failed"):
        Path(job.path).unlink(missing_ok=True)


def set_progress(session: Session, job_id: int, step: str, lines: int) -> None:
    session.execute(
        update(CleaningJob)
        .where(CleaningJob.id == job_id)
        .values(step=step, lines=lines)
        .execution_options(synchronize_session=False)
    )


def _get(session: Session, job_id: int) -> CleaningJob:
    job = session.get(CleaningJob, job_id)
    if job is None:
        raise NotFound("No such cleaning job", code=Code.CLEANING_JOB_NOT_FOUND, field="job_id")
    return job


# -- the bank's views ---------------------------------------------------------------------


def get_job(session: Session, job_id: int, *, actor: Actor) -> CleaningJobOut:
    """A job of this partner (another's, or none: not found)."""
    return _out(_mine(session, job_id, actor))


def result_file(session: Session, job_id: int, *, actor: Actor) -> tuple[Path, str]:
    """The result file and the name to download it under, once the job is done."""
    job = _mine(session, job_id, actor)
    if job.status != "done" or not job.result_path or not Path(job.result_path).exists():
        raise NotFound("The result is not ready", code=Code.CLEANING_NOT_READY, field="job_id")
    stem = Path(job.file_name).stem or "customers"
    return Path(job.result_path), f"{stem}-dancu.{job.file_format}"


def _mine(session: Session, job_id: int, actor: Actor) -> CleaningJob:
    job = session.get(CleaningJob, job_id)
    if job is None or job.partner != actor.id:
        raise NotFound("No such cleaning job", code=Code.CLEANING_JOB_NOT_FOUND, field="job_id")
    return job


def _out(job: CleaningJob) -> CleaningJobOut:
    out = CleaningJobOut.model_validate(job)
    out.result_ready = job.status == "done" and job.result_path is not None
    return out


def status(session: Session, job_id: int) -> CleaningJobOut:
    """A job's status for the job itself (it acts for the bank that sent the list)."""
    return _out(_get(session, job_id))
