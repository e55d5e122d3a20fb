"""Every linkage query. Area scoping lives in ``sources_readable_by`` and ``results_in_area``:
an officer sees the datasets of their province (a commune officer: of the province their
commune lies in) and works only the queue items of their own units."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from dancu.common import adminunits, bulk_read
from dancu.common.access import Actor
from dancu.common.audit import AuditEntry
from dancu.linkage.models import (
    QUEUE_OUTCOMES,
    CleaningDecision,
    ImportProblem,
    LinkageImport,
    LinkageJob,
    MatchResult,
    SectorRecord,
    Source,
    SourceMapping,
)

# the cleaning queue's probability bands: name -> [from, to) of the match probability
PROBABILITY_BANDS: dict[str, tuple[float | None, float | None]] = {
    "high": (0.8, None),
    "medium": (0.65, 0.8),
    "low": (None, 0.65),
}


def actor_provinces(actor: Actor) -> tuple[str, ...]:
    """The provinces an actor works in: their province units and their communes' provinces."""
    codes = list(actor.province_units)
    for code in actor.commune_units:
        unit = adminunits.find_commune(code)
        if unit is not None:
            codes.append(unit.province_code)
    return tuple(dict.fromkeys(codes))


def sources_readable_by(actor: Actor) -> Select[tuple[Source]]:
    stmt = select(Source)
    if actor.nationwide:
        return stmt
    return stmt.where(or_(false(), Source.province_code.in_(actor_provinces(actor))))


def results_in_area(actor: Actor) -> ColumnElement[bool]:
    """Results whose commune (else province) lies in the actor's units."""
    if actor.nationwide:
        return MatchResult.id.is_not(None)
    conditions = []
    if actor.province_units:
        conditions.append(MatchResult.province_code.in_(actor.province_units))
    if actor.commune_units:
        conditions.append(MatchResult.commune_code.in_(actor.commune_units))
    return or_(false(), *conditions)


def sources(session: Session, actor: Actor) -> list[Source]:
    return list(session.scalars(sources_readable_by(actor).order_by(Source.id.desc())))


def source(session: Session, actor: Actor, source_id: int) -> Source | None:
    return session.scalars(sources_readable_by(actor).where(Source.id == source_id)).first()


def source_any(session: Session, source_id: int) -> Source | None:
    return session.get(Source, source_id)


def saved_mapping(session: Session, source_type: str) -> SourceMapping | None:
    stmt = select(SourceMapping).where(SourceMapping.source_type == source_type)
    return session.scalars(stmt).first()


def problems(
    session: Session, source_id: int, *, offset: int = 0, limit: int = 100
) -> tuple[list[ImportProblem], int]:
    where = ImportProblem.source_id == source_id
    stmt = select(ImportProblem).where(where).order_by(ImportProblem.line, ImportProblem.id)
    rows = list(session.scalars(stmt.offset(offset).limit(limit)))
    total = session.scalar(select(func.count()).select_from(ImportProblem).where(where)) or 0
    return rows, total


def problems_with_lines(
    session: Session, source_id: int
) -> list[tuple[ImportProblem, dict[str, Any] | None]]:
    """Every problem of a dataset by line, with the line's values when the line was kept."""
    stmt = (
        select(ImportProblem, SectorRecord.raw)
        .outerjoin(
            SectorRecord,
            and_(
                SectorRecord.source_id == ImportProblem.source_id,
                SectorRecord.line == ImportProblem.line,
            ),
        )
        .where(ImportProblem.source_id == source_id)
        .order_by(ImportProblem.line, ImportProblem.id)
    )
    return [(p, raw) for p, raw in session.execute(stmt)]


def records(session: Session, source_id: int) -> list[SectorRecord]:
    stmt = select(SectorRecord).where(SectorRecord.source_id == source_id)
    return list(session.scalars(stmt.order_by(SectorRecord.line)))


RECORD_SCHEMA = pa.schema([("id", pa.int64()), ("normalized", pa.string())])


def undecided_record_columns(session: Session, source_id: int) -> pa.Table:
    """``id`` and ``normalized`` (JSON text) of a dataset's records that no officer decided
    on, as Arrow columns (:data:`RECORD_SCHEMA`; ``COPY`` on PostgreSQL): what matching
    reads, with no Python object per record."""
    decided = select(MatchResult.id).where(
        MatchResult.record_id == SectorRecord.id, MatchResult.decided
    )
    stmt = (
        select(SectorRecord.id, cast(SectorRecord.normalized, Text))
        .where(SectorRecord.source_id == source_id, ~decided.exists())
        .order_by(SectorRecord.line)
    )
    return bulk_read.read_table(session, stmt, RECORD_SCHEMA)


def copy_results_csv(session: Session, columns: Sequence[str], payload: bytes) -> None:
    """PostgreSQL: write results given as ``COPY``'s CSV (``columns`` in order) at once."""
    dbapi = session.connection().connection.driver_connection
    query = f"COPY {MatchResult.__tablename__} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
    with dbapi.cursor() as cursor, cursor.copy(query) as copy:  # type: ignore[union-attr]
        copy.write(payload)


def record(session: Session, record_id: int) -> SectorRecord | None:
    return session.get(SectorRecord, record_id)


def result_record_ids(session: Session, source_id: int, job_id: int) -> set[int]:
    stmt = select(MatchResult.record_id).where(
        MatchResult.source_id == source_id, MatchResult.job_id == job_id
    )
    return set(session.scalars(stmt))


def delete_results_not_of(session: Session, source_id: int, job_id: int) -> None:
    """Drop an older run's undecided results (the new run's replace them)."""
    session.execute(
        MatchResult.__table__.delete().where(
            MatchResult.source_id == source_id,
            MatchResult.job_id.is_distinct_from(job_id),
            MatchResult.decided.is_(False),
        )
    )


def outcome_counts(
    session: Session, source_ids: list[int], *, by_commune: bool, communes: tuple[str, ...] = ()
) -> list[Any]:
    """(source_id, commune_code or None, outcome, count) for the given datasets."""
    commune = MatchResult.commune_code if by_commune else None
    cols: list[Any] = [MatchResult.source_id, MatchResult.outcome, func.count()]
    if commune is not None:
        cols.insert(1, commune)
    stmt = select(*cols).where(MatchResult.source_id.in_(source_ids))
    if communes:
        stmt = stmt.where(MatchResult.commune_code.in_(communes))
    group = [MatchResult.source_id, MatchResult.outcome] + ([commune] if by_commune else [])
    return list(session.execute(stmt.group_by(*group)))


def _open_items(
    actor: Actor, source_id: int | None, commune_code: str | None = None
) -> ColumnElement[bool]:
    """The queue's open items (in the actor's area, of a dataset, of a commune): the
    outcomes written as literals, as the partial index ``ix_linkage_result_open`` states
    them, so that the planner can use it whatever the statement's parameters."""
    return and_(
        MatchResult.outcome.in_(
            bindparam("queue_outcomes", QUEUE_OUTCOMES, expanding=True, literal_execute=True)
        ),
        MatchResult.decided.is_(False),
        results_in_area(actor),
        *([MatchResult.source_id == source_id] if source_id is not None else []),
        *([MatchResult.commune_code == commune_code] if commune_code else []),
    )


def queue_communes(session: Session, actor: Actor, source_id: int | None) -> list[tuple[str, int]]:
    """(commune code, open items) of the communes with items waiting in the actor's area."""
    stmt = (
        select(MatchResult.commune_code, func.count())
        .where(_open_items(actor, source_id), MatchResult.commune_code.is_not(None))
        .group_by(MatchResult.commune_code)
    )
    return [(code, count) for code, count in session.execute(stmt)]


def queue_waiting(session: Session, actor: Actor) -> int:
    """How many open items wait in the actor's area (a count: no citizen is listed)."""
    stmt = select(func.count()).select_from(MatchResult).where(_open_items(actor, None))
    return session.scalar(stmt) or 0


def _narrowed(outcome: str | None, band: str | None) -> list[ColumnElement[bool]]:
    """The queue's optional outcome and probability-band filters (names checked by the
    caller: ``QUEUE_OUTCOMES``, ``PROBABILITY_BANDS``)."""
    conditions: list[ColumnElement[bool]] = []
    if outcome:
        conditions.append(MatchResult.outcome == outcome)
    if band:
        low, high = PROBABILITY_BANDS[band]
        if low is not None:
            conditions.append(MatchResult.probability >= low)
        if high is not None:
            conditions.append(MatchResult.probability < high)
    return conditions


def queue(
    session: Session,
    actor: Actor,
    *,
    source_id: int | None,
    offset: int,
    limit: int,
    commune_code: str | None = None,
    only: list[int] | None = None,
    outcome: str | None = None,
    band: str | None = None,
) -> tuple[list[tuple[MatchResult, SectorRecord, Source]], int]:
    """Open items: probable matches first (most likely first), then differing fields
    (``only``: among these results; ``outcome``, ``band``: of that outcome, in that
    probability band)."""
    where = and_(_open_items(actor, source_id, commune_code), *_narrowed(outcome, band))
    if only is not None:
        where = and_(where, MatchResult.id.in_(only))
    stmt = (
        select(MatchResult, SectorRecord, Source)
        .join(SectorRecord, SectorRecord.id == MatchResult.record_id)
        .join(Source, Source.id == MatchResult.source_id)
        .where(where)
        .order_by(
            MatchResult.outcome,  # "probable_match" first (QUEUE_OUTCOMES are sorted)
            MatchResult.probability.desc(),
            MatchResult.source_id,
            SectorRecord.line,
        )
    )
    rows = [tuple(r) for r in session.execute(stmt.offset(offset).limit(limit))]
    total = session.scalar(select(func.count()).select_from(MatchResult).where(where)) or 0
    return rows, total  # type: ignore[return-value]


def result_for_update(
    session: Session, actor: Actor, result_id: int
) -> tuple[MatchResult, SectorRecord] | None:
    stmt = (
        select(MatchResult, SectorRecord)
        .join(SectorRecord, SectorRecord.id == MatchResult.record_id)
        .where(MatchResult.id == result_id, results_in_area(actor))
        .with_for_update(of=MatchResult)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row else None


def export_rows(session: Session, source_id: int) -> list[tuple[SectorRecord, MatchResult | None]]:
    stmt = (
        select(SectorRecord, MatchResult)
        .outerjoin(MatchResult, MatchResult.record_id == SectorRecord.id)
        .where(SectorRecord.source_id == source_id)
        .order_by(SectorRecord.line)
    )
    return [(r, m) for r, m in session.execute(stmt)]


def deceased_matches(session: Session, source_id: int) -> int:
    """Records linked to a citizen the registry knows as deceased (lists slow to drop them)."""
    stmt = (
        select(func.count())
        .select_from(MatchResult)
        .where(
            MatchResult.source_id == source_id,
            MatchResult.citizen_status == "deceased",
            MatchResult.outcome.in_(("synced", "synced_with_differences", "probable_match")),
        )
    )
    return session.scalar(stmt) or 0


def decisions(session: Session, record_id: int) -> list[CleaningDecision]:
    stmt = select(CleaningDecision).where(CleaningDecision.record_id == record_id)
    return list(session.scalars(stmt.order_by(CleaningDecision.id)))


def last_decisions_of_source(
    session: Session, source_id: int, actions: Sequence[str]
) -> list[tuple[int, str, str, str | None]]:
    """(record id, normalized JSON text, action, citizen pid) of the dataset's decided
    records whose last decision among ``actions`` it is (``decision_labels``)."""
    last = (
        select(func.max(CleaningDecision.id))
        .join(SectorRecord, SectorRecord.id == CleaningDecision.record_id)
        .where(SectorRecord.source_id == source_id, CleaningDecision.action.in_(actions))
        .group_by(CleaningDecision.record_id)
    )
    stmt = (
        select(
            SectorRecord.id,
            cast(SectorRecord.normalized, Text),
            CleaningDecision.action,
            CleaningDecision.citizen_pid,
        )
        .join(CleaningDecision, CleaningDecision.record_id == SectorRecord.id)
        .join(MatchResult, and_(MatchResult.record_id == SectorRecord.id, MatchResult.decided))
        .where(CleaningDecision.id.in_(last))
        .order_by(SectorRecord.id)
    )
    return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]


# ---------------------------------------------------------------------------- jobs


def job(session: Session, job_id: int) -> LinkageJob | None:
    return session.get(LinkageJob, job_id)


def latest_job(session: Session, source_id: int) -> LinkageJob | None:
    stmt = select(LinkageJob).where(LinkageJob.source_id == source_id)
    return session.scalars(stmt.order_by(LinkageJob.id.desc()).limit(1)).first()


def active_job(session: Session, source_id: int) -> LinkageJob | None:
    stmt = select(LinkageJob).where(
        LinkageJob.source_id == source_id, LinkageJob.status.in_(("queued", "running"))
    )
    return session.scalars(stmt.limit(1)).first()


def claim(session: Session, job_id: int, now: datetime) -> bool:
    """queued -> running, for one worker only (no check-then-act)."""
    result = session.execute(
        update(LinkageJob)
        .where(LinkageJob.id == job_id, LinkageJob.status == "queued")
        .values(status="running", heartbeat_at=now, attempts=LinkageJob.attempts + 1)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def queued_job_ids(session: Session) -> list[int]:
    stmt = select(LinkageJob.id).where(LinkageJob.status == "queued").order_by(LinkageJob.id)
    return list(session.scalars(stmt))


def stale_jobs(session: Session, before: datetime) -> list[LinkageJob]:
    stmt = select(LinkageJob).where(
        LinkageJob.status == "running",
        or_(LinkageJob.heartbeat_at.is_(None), LinkageJob.heartbeat_at < before),
    )
    return list(session.scalars(stmt.order_by(LinkageJob.id)))


def import_(session: Session, import_id: int) -> LinkageImport | None:
    return session.get(LinkageImport, import_id)


def claim_import(session: Session, import_id: int, now: datetime, worker: str = "") -> bool:
    """queued -> running, in one statement (a second worker finds nothing to claim), with
    the lease: the heartbeat, the worker holding it, one more attempt."""
    changed = session.execute(
        update(LinkageImport)
        .where(LinkageImport.id == import_id, LinkageImport.status == "queued")
        .values(
            status="running",
            started_at=now,
            heartbeat_at=now,
            worker=worker or None,
            attempts=LinkageImport.attempts + 1,
        )
    )
    return changed.rowcount == 1  # type: ignore[attr-defined]


def beat_import(session: Session, import_id: int, now: datetime) -> None:
    session.execute(
        update(LinkageImport)
        .where(LinkageImport.id == import_id, LinkageImport.status == "running")
        .values(heartbeat_at=now)
    )


def stale_imports(session: Session, before: datetime) -> list[LinkageImport]:
    """Running imports whose lease was last renewed before ``before``."""
    stmt = select(LinkageImport).where(
        LinkageImport.status == "running",
        or_(LinkageImport.heartbeat_at.is_(None), LinkageImport.heartbeat_at < before),
    )
    return list(session.scalars(stmt.order_by(LinkageImport.id)))


def live_import_paths(session: Session) -> list[str]:
    """The uploads that queued or running imports still need."""
    stmt = select(LinkageImport.path).where(LinkageImport.status.in_(("queued", "running")))
    return list(session.scalars(stmt))


def recover_import(session: Session, import_id: int, values: dict[str, Any]) -> bool:
    """Change a running import (``UPDATE ... WHERE status = 'running'``: one recoverer)."""
    changed = session.execute(
        update(LinkageImport)
        .where(LinkageImport.id == import_id, LinkageImport.status == "running")
        .values(**values)
    )
    return changed.rowcount == 1  # type: ignore[attr-defined]


def importer_name(session: Session, source_id: int) -> str | None:
    """The name (and organization) of who imported a dataset, from its audit entry."""
    stmt = (
        select(AuditEntry.actor_name, AuditEntry.organization)
        .where(
            AuditEntry.action == "linkage.import",
            AuditEntry.subject_type == "linkage_source",
            AuditEntry.subject_id == str(source_id),
        )
        .order_by(AuditEntry.id)
        .limit(1)
    )
    row = session.execute(stmt).first()
    if row is None:
        return None
    return f"{row.actor_name} ({row.organization})" if row.organization else row.actor_name
