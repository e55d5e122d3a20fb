"""Linkage runs as use cases: queue a run, and the steps a job executes one by one.

A run has two steps, each ending in a commit, so that a run interrupted by a restart can
resume from the last completed one (the job in ``tasks.py`` drives them):

``match``
    read the dataset and the province's citizens (through the registry's audited bulk
    read), link them with :func:`dancu.linkage.match.link`, and store the results in
    chunks, each chunk committed with the progress; a resumed run stores only the records
    still without a result of this run;
``finalize``
    drop the previous run's undecided results, record the run in the audit log, done.

Officers' decisions survive re-runs: a decided result is never replaced.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit, bulk, outbox
from dancu.common.access import Actor, Permission
from dancu.common.errors import Conflict, NotFound
from dancu.common.textfold import fold
from dancu.db import is_postgres, utcnow
from dancu.linkage import match
from dancu.linkage import repository as repo
from dancu.linkage.errors import LinkageErrorCode
from dancu.linkage.events import RUN_QUEUED
from dancu.linkage.models import LinkageJob, MatchResult, SectorRecord
from dancu.linkage.schemas import JobOut
from dancu.linkage.service import PURPOSE, get_source, require_province
from dancu.registry import service as registry

CHUNK = 10_000  # results per transaction (COPY): the progress and the resume point
Progress = Callable[[str, int, int], None]
Places = dict[int, tuple[str | None, str | None]]


def enqueue_run(session: Session, source_id: int, *, actor: Actor) -> JobOut:
    """Queue a linkage run of a dataset for the workers (one queued or running per dataset).

    The run is handed to the job queue by the outbox once the caller's transaction commits.
    """
    job = create_run(session, source_id, actor=actor)
    outbox.emit(session, RUN_QUEUED, {"job_id": job.id, "source_id": job.source_id})
    return job


def create_run(session: Session, source_id: int, *, actor: Actor) -> JobOut:
    """A queued run that no worker is told about: ``dancu linkage run`` runs it at once."""
    actor.require(Permission.LINKAGE_MANAGE)
    source = get_source(session, source_id, actor=actor)
    require_province(actor, source.province_code)
    if repo.active_job(session, source.id) is not None:
        raise Conflict(
            "A run of this dataset is already queued or running",
            code=LinkageErrorCode.RUN_ACTIVE,
            field="source_id",
        )
    job = LinkageJob(
        source_id=source.id,
        status="queued",
        step="queued",
        total=source.records,
        requested_by=actor.id,
        actor=actor.to_dict(),
    )
    session.add(job)
    session.flush()
    return JobOut.model_validate(job)


def get_job(session: Session, job_id: int, *, actor: Actor) -> JobOut:
    job = repo.job(session, job_id)
    if job is None:
        raise NotFound("No such run", code=LinkageErrorCode.JOB_NOT_FOUND, field="job_id")
    get_source(session, job.source_id, actor=actor)  # the dataset must be visible
    return JobOut.model_validate(job)


# ---------------------------------------------------------------------------- step: match


def prepare_match(session: Session, job: LinkageJob) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the dataset's undecided records and the province's citizens (audited)."""
    actor = Actor.from_dict(job.actor)
    source = repo.source_any(session, job.source_id)
    assert source is not None  # a foreign key guarantees it
    repo.delete_results_not_of(session, source.id, job.id)
    decided = repo.decided_results(session, source.id)
    records = [
        (i, normalized)
        for i, normalized in repo.record_fields(session, source.id)
        if i not in decided
    ]
    citizens = registry.citizens_for_matching(
        session, source.province_code, actor=actor, purpose=PURPOSE
    )
    return sector_frame(records), registry_frame(citizens)


def record_key(record_id: int) -> str:
    """The matcher's key of a stored record: its id, zero-padded so that keys sort like ids
    (like lines): of two duplicate lines equally strong, the earlier one is the original."""
    return f"{record_id:012d}"


def sector_frame(records: Iterable[SectorRecord | tuple[int, dict[str, Any]]]) -> pd.DataFrame:
    """The matcher's sector frame from stored records (or their ``(id, normalized)``)."""
    pairs = (r if isinstance(r, tuple) else (r.id, r.normalized) for r in records)
    rows = [{**normalized, "record_key": record_key(i)} for i, normalized in pairs]
    return pd.DataFrame(rows, columns=[*match.SECTOR_COLUMNS, "name", "province_code", "dedup_key"])


def registry_frame(citizens: list[dict[str, Any]]) -> pd.DataFrame:
    """The matcher's registry frame, built column by column. A registry's names are valid
    (its rules checked them), so folding and splitting them is all the matcher needs, once
    per distinct name (a million citizens hold a few hundred thousand)."""
    parts: dict[str, tuple[str | None, str | None, str | None, str | None]] = {}
    for full in {c["full_name"] for c in citizens}:
        folded = fold(full) if full else ""
        words = folded.split()
        parts[full] = (
            (folded, words[0], " ".join(words[1:-1]) or None, words[-1])
            if len(words) >= 2
            else (folded or None, None, None, words[0] if words else None)
        )
    names = [parts[c["full_name"]] for c in citizens]
    births = [c["birth_date"] for c in citizens]
    return pd.DataFrame(
        {
            "pid": [c["pid"] for c in citizens],
            "name_folded": [n[0] for n in names],
            "family": [n[1] for n in names],
            "middle": [n[2] for n in names],
            "given": [n[3] for n in names],
            "birth_date": [b.isoformat() for b in births],
            "birth_year": [b.year for b in births],
            "sex": [c["sex"] for c in citizens],
            "commune_code": [c["commune_code"] for c in citizens],
            "status": [c["status"] for c in citizens],
            "death_date": [d.isoformat() if (d := c["death_date"]) else None for c in citizens],
            "full_name": [c["full_name"] for c in citizens],
        },
        columns=[*match.REGISTRY_COLUMNS, "full_name"],
    )


def link(
    sector: pd.DataFrame, citizens: pd.DataFrame, progress: Progress | None = None
) -> pd.DataFrame:
    """The engine's outcomes (one row per sector record), or none for an empty dataset."""
    if sector.empty:
        return pd.DataFrame(columns=list(match.OUTCOME_COLUMNS))
    return match.link(sector, citizens, progress=progress).outcomes


def pending_rows(session: Session, job: LinkageJob, outcomes: pd.DataFrame) -> list[dict[str, Any]]:
    """The outcome rows of records that have no result of this run yet (all, unless resumed)."""
    stored = {record_key(i) for i in repo.result_record_ids(session, job.source_id, job.id)}
    return [r for r in outcomes.to_dict("records") if r["record_key"] not in stored]


RESULT_COLUMNS = (
    "source_id",
    "record_id",
    "job_id",
    "outcome",
    "citizen_pid",
    "probability",
    "differences",
    "province_code",
    "commune_code",
    "citizen_status",
    "decided",
)


def store_chunk(
    session: Session,
    job: LinkageJob,
    rows: list[dict[str, Any]],
    places: Places,
    communes: dict[str, str],
) -> None:
    """Write one chunk of results (``COPY`` on PostgreSQL) and move the run's progress on
    (the caller commits)."""
    table = MatchResult.__table__
    if is_postgres(session):  # COPY's text format: one f-string a row, no adaptation
        lines = (
            bulk.text_line(result_values(job, row, places, communes, json_text=True))
            for row in rows
        )
        bulk.copy_text(session, table, RESULT_COLUMNS, lines)
    else:
        values = (result_values(job, row, places, communes) for row in rows)
        bulk.copy_rows(session, table, RESULT_COLUMNS, values)
    job.done += len(rows)
    job.heartbeat_at = utcnow()
    session.flush()


def result_values(
    job: LinkageJob,
    row: dict[str, Any],
    places: Places,
    communes: dict[str, str],
    *,
    json_text: bool = False,
) -> tuple[Any, ...]:
    """One result row in :data:`RESULT_COLUMNS` order (``differences`` as JSON text for a
    ``COPY``, as a dict for an ``INSERT``)."""
    record_id = int(row["record_key"])
    pid = row.get("citizen_pid") or None
    commune, province = places.get(record_id, (None, None))
    commune = commune or (communes.get(pid) if pid else None)
    if commune:
        province = _province_of(commune) or province
    diffs = {
        d["field"]: {"old": d["sector"], "new": d["registry"]}
        for d in (row.get("differences") or [])
    }
    probability = row.get("probability")
    if probability is not None and probability != probability:  # NaN
        probability = None
    return (
        job.source_id,
        record_id,
        job.id,
        row["outcome"],
        pid,
        probability,
        json.dumps(diffs, ensure_ascii=False) if json_text else diffs,
        province,
        commune,
        row.get("citizen_status") or None,
        False,
    )


def places_of(sector: pd.DataFrame) -> Places:
    """record id -> (commune, province) as the dataset gives them."""
    return {
        int(k): (c if isinstance(c, str) else None, p if isinstance(p, str) else None)
        for k, c, p in zip(
            sector["record_key"], sector["commune_code"], sector["province_code"], strict=True
        )
    }


def _province_of(commune: str) -> str | None:
    unit = adminunits.find_commune(commune)
    return unit.province_code if unit else None


# ---------------------------------------------------------------------------- step: finalize


def finalize(session: Session, job: LinkageJob) -> None:
    """Drop older undecided results, audit the run, mark it done."""
    repo.delete_results_not_of(session, job.source_id, job.id)
    actor = Actor.from_dict(job.actor)
    audit.record(
        session,
        actor,
        action="linkage.run",
        subject_type="linkage_source",
        subject_id=str(job.source_id),
        purpose=PURPOSE,
        fields=(f"job={job.id}",),
    )
    now = utcnow()
    job.status, job.step, job.finished_at, job.heartbeat_at = "done", "done", now, now
    job.done = job.total
    session.flush()
