"""Linkage runs as use cases: queue a run, and the steps a job executes one by one.

A run has two steps, each ending in a commit, so that a run interrupted by a restart can
resume from the last completed one (:func:`run_job` drives them, for the job of
``tasks.py`` and for ``dancu linkage run``):

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

import io
import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from dancu.common import adminunits, audit, bulk, outbox
from dancu.common.access import Actor, Permission
from dancu.common.errors import Conflict, NotFound
from dancu.db import is_postgres, utcnow
from dancu.db.uow import unit_of_work
from dancu.linkage import decision_labels, match
from dancu.linkage import repository as repo
from dancu.linkage.errors import LinkageErrorCode
from dancu.linkage.events import RUN_QUEUED
from dancu.linkage.models import LinkageJob, MatchResult
from dancu.linkage.run_inputs import registry_columns, sector_columns
from dancu.linkage.schemas import JobOut
from dancu.linkage.service import PURPOSE, get_source, require_province
from dancu.registry import service as registry
from dancu.settings import get_settings

log = logging.getLogger(__name__)

CHUNK = 10_000  # results per transaction (COPY): the progress and the resume point
Progress = Callable[[str, int, int], None]
Factory = sessionmaker[Session]


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


def prepare_match(session: Session, job: LinkageJob) -> tuple[pa.Table, pa.Table]:
    """Read the dataset's undecided records and the province's citizens (audited), as the
    matcher's columns: no Python object per record or citizen."""
    actor = Actor.from_dict(job.actor)
    source = repo.source_any(session, job.source_id)
    assert source is not None  # a foreign key guarantees it
    repo.delete_results_not_of(session, source.id, job.id)
    records = repo.undecided_record_columns(session, source.id)
    citizens = registry.citizen_columns_for_matching(
        session, source.province_code, actor=actor, purpose=PURPOSE
    )
    return sector_columns(records), registry_columns(citizens)


def link(
    sector: pa.Table,
    citizens: pa.Table,
    progress: Progress | None = None,
    decisions: pa.Table | None = None,
) -> pd.DataFrame:
    """The engine's outcomes (one row per sector record), or none for an empty dataset
    (``decisions``: the dataset's decided records, labels of the calibration)."""
    if sector.num_rows == 0:
        return pd.DataFrame(columns=list(match.OUTCOME_COLUMNS))
    return match.link(sector, citizens, progress=progress, decisions=decisions).outcomes


# ---------------------------------------------------------------------------- storing results

# a stored result's columns that vary by record, in the order of ``result_columns``
RESULT_FIELDS = (
    "record_id",
    "outcome",
    "citizen_pid",
    "probability",
    "differences",
    "province_code",
    "commune_code",
    "citizen_status",
)
RESULT_COLUMNS = ("source_id", "job_id", "decided", *RESULT_FIELDS)

_RESULTS_SQL = """
with x as (
  select o.*, s.province_code as record_province,
         coalesce(s.commune_code, c.commune_code) as place
  from o left join s using (record_key) left join c on c.pid = o.citizen_pid
)
select cast(record_key as bigint) as record_id, outcome, citizen_pid,
       case when isnan(probability) then null else probability end as probability,
       differences, coalesce(p.province_code, record_province) as province_code,
       place as commune_code, citizen_status
from x left join p on p.commune_code = x.place
order by record_id
"""


def result_columns(outcomes: pd.DataFrame, sector: pa.Table, citizens: pa.Table) -> pa.Table:
    """Every outcome as the varying columns of a stored result (:data:`RESULT_FIELDS`),
    built column-wise: the record's commune as the dataset gives it, else the matched
    citizen's; the province that commune lies in, else the dataset's; ``differences`` as
    JSON text (``{field: {"old": sector value, "new": registry value}}``)."""
    frame = pd.DataFrame(
        {
            "record_key": outcomes["record_key"].astype(str),
            "outcome": outcomes["outcome"].astype(str),
            "citizen_pid": _text_or_null(outcomes["citizen_pid"]),
            "probability": pd.to_numeric(outcomes["probability"]).astype("float64"),
            "differences": [_differences_json(d) for d in outcomes["differences"]],
            "citizen_status": _text_or_null(outcomes["citizen_status"]),
        }
    )
    con = duckdb.connect()
    try:
        con.register("o", frame)
        con.register("s", _nonempty(sector.select(["record_key", "commune_code", "province_code"])))
        con.register("c", citizens.select(["pid", "commune_code"]))
        communes = con.sql(
            "select distinct commune_code from (select commune_code from s"
            " union all select commune_code from c) where commune_code is not null"
        ).fetchall()
        provinces = {code: _province_of(code) for (code,) in communes}
        con.register(
            "p",
            pa.table(
                {
                    "commune_code": pa.array(list(provinces), pa.string()),
                    "province_code": pa.array(list(provinces.values()), pa.string()),
                }
            ),
        )
        return con.sql(_RESULTS_SQL).to_arrow_table()
    finally:
        con.close()


def _text_or_null(values: pd.Series) -> list[str | None]:
    return [v if isinstance(v, str) and v else None for v in values]


def _nonempty(table: pa.Table) -> pa.Table:
    """Empty strings as nulls (a record's commune or province left blank is unknown)."""
    return pa.table(
        {
            name: pc.if_else(pc.equal(col, ""), pa.scalar(None, col.type), col)
            for name, col in zip(table.column_names, table.columns, strict=True)
        }
    )


def _differences_json(differences: list[dict[str, Any]] | None) -> str:
    if not differences:
        return "{}"
    return json.dumps(
        {d["field"]: {"old": d["sector"], "new": d["registry"]} for d in differences},
        ensure_ascii=False,
    )


def pending_results(session: Session, job: LinkageJob, results: pa.Table) -> pa.Table:
    """The results of records that have no result of this run yet (all, unless resumed)."""
    stored = repo.result_record_ids(session, job.source_id, job.id)
    if not stored:
        return results
    done = pc.is_in(results.column("record_id"), value_set=pa.array(sorted(stored), pa.int64()))
    return results.filter(pc.invert(done))


def store_chunk(session: Session, job: LinkageJob, results: pa.Table) -> None:
    """Write one chunk of results (rows of :func:`result_columns`; ``COPY`` from CSV built
    by Arrow on PostgreSQL) and move the run's progress on (the caller commits)."""
    count = results.num_rows
    table = results.select(list(RESULT_FIELDS))
    constants = (("source_id", job.source_id, pa.int64()), ("job_id", job.id, pa.int64()))
    for i, (name, value, kind) in enumerate((*constants, ("decided", False, pa.bool_()))):
        table = table.add_column(i, name, pa.array([value] * count, kind))
    if is_postgres(session):
        repo.copy_results_csv(session, RESULT_COLUMNS, _csv(table))
    else:
        rows = (
            tuple(json.loads(v) if k == "differences" else v for k, v in row.items())
            for row in table.to_pylist()
        )
        bulk.copy_rows(session, MatchResult.__table__, RESULT_COLUMNS, rows)
    job.done += count
    job.heartbeat_at = utcnow()
    session.flush()


def _csv(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(include_header=False))
    return sink.getvalue()


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


# ---------------------------------------------------------------------------- the whole run


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
        with heartbeat(f"run-{job_id}", lambda: _beat(factory, job_id)):
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
        sector, citizens = prepare_match(session, job)
        decided = decision_labels.for_run(session, job)  # officers' decisions as labels
        job.total, job.heartbeat_at = len(sector), utcnow()
    report("read", len(sector), len(sector))

    def engine_progress(step: str, done: int, total: int) -> None:
        _beat(factory, job_id)
        report(f"match:{step}", done, total)

    outcomes = link(sector, citizens, progress=engine_progress, decisions=decided)
    calibration = outcomes.attrs.get("calibration")  # set by match.link
    results = result_columns(outcomes, sector, citizens)
    del outcomes, sector, citizens
    with unit_of_work(factory) as session:
        job = _get(session, job_id)
        job.calibration = calibration
        pending = pending_results(session, job, results)
        job.done = job.total - pending.num_rows
        total = job.total
    for start in range(0, pending.num_rows, CHUNK):
        with unit_of_work(factory) as session:
            job = _get(session, job_id)
            store_chunk(session, job, pending.slice(start, CHUNK))
            done = job.done
        report("store", done, total)
    with unit_of_work(factory) as session:
        _get(session, job_id).step = "finalize"


def _finalize(factory: Factory, job_id: int) -> None:
    with unit_of_work(factory) as session:
        finalize(session, _get(session, job_id))


def _fail(factory: Factory, job_id: int, reason: str) -> None:
    with unit_of_work(factory) as session:
        now = utcnow()
        session.execute(
            update(LinkageJob)
            .where(LinkageJob.id == job_id)
            .values(status="failed", error=reason[:1000], finished_at=now, heartbeat_at=now)
        )


@contextmanager
def heartbeat(name: str, renew: Callable[[], None]) -> Iterator[None]:
    """Renew a lease (``renew``) every quarter of the staleness while the block runs."""
    interval = min(30.0, get_settings().linkage_stale_seconds / 4)
    stopping = threading.Event()

    def beat() -> None:
        while not stopping.wait(interval):
            try:
                renew()
            except Exception:  # a missed beat is logged; the next one tries again
                log.warning("linkage %s: heartbeat failed", name, exc_info=True)

    thread = threading.Thread(target=beat, name=f"linkage-heartbeat-{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopping.set()
        thread.join()


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
