"""Linkage tables: saved sector datasets, their records and problems, runs, results, decisions.

Relationships are not declared: every query names its join (``repository.py``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")

SOURCE_TYPES = (
    "land",
    "civil_status",
    "social_insurance",
    "health_insurance",
    "tax",
    "bank",
    "merit",
    "civil_servants",
)
# The engine's outcomes (dancu.linkage.match.OUTCOMES) and the officer's "not_in_province".
OUTCOMES = (
    "synced",
    "synced_with_differences",
    "probable_match",
    "not_found",
    "duplicate_in_source",
    "not_in_province",
)
# Outcomes an officer decides on (the cleaning queue): sorted so that ordering by outcome
# puts the probable matches first, as the queue lists them (and its index stores them).
QUEUE_OUTCOMES = ("probable_match", "synced_with_differences")
assert tuple(sorted(QUEUE_OUTCOMES)) == QUEUE_OUTCOMES
JOB_STATUSES = ("queued", "running", "done", "failed")
JOB_STEPS = ("queued", "match", "finalize", "done")
IMPORT_STATUSES = JOB_STATUSES
DECISIONS = ("accept", "correct", "not_in_province")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def open_items_where(dialect: str) -> str:
    """The open items of the cleaning queue (an outcome to decide on, not decided), as the
    queue's statements write it on ``dialect`` ("postgresql" or "sqlite"), so that the
    planner sees the partial index's condition in the query's own words."""
    undecided = "decided IS 0" if dialect == "sqlite" else "decided IS false"
    return f"{_in('outcome', QUEUE_OUTCOMES)} AND {undecided}"


class SourceMapping(Base):
    """The column mapping last used for a source type (field -> column of the file)."""

    __tablename__ = "linkage_mapping"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    source_type: Mapped[str] = mapped_column(String(20), unique=True)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Source(Base):
    """One imported sector dataset. ``lines`` = ``records`` + ``problem_lines``, always."""

    __tablename__ = "linkage_source"
    __table_args__ = (CheckConstraint(_in("source_type", SOURCE_TYPES), name="source_type"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    source_type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON)
    file_name: Mapped[str] = mapped_column(String(255))
    encoding: Mapped[str] = mapped_column(String(40))
    lines: Mapped[int] = mapped_column(Integer, default=0)
    records: Mapped[int] = mapped_column(Integer, default=0)
    problem_lines: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[str] = mapped_column(String(80))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SectorRecord(Base):
    """One line of a dataset: its raw values and the normalized fields matching uses."""

    __tablename__ = "linkage_record"
    __table_args__ = (
        UniqueConstraint("source_id", "line", name="uq_linkage_record_line"),
        # what a result's key (source_id, record_id) refers to (migration 0026)
        Index("ix_linkage_record_source_record", "source_id", "id", unique=True),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("linkage_source.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    normalized: Mapped[dict[str, Any]] = mapped_column(JSON)
    full_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    pid: Mapped[str | None] = mapped_column(String(12), nullable=True)
    commune_code: Mapped[str | None] = mapped_column(String(5), nullable=True)


class ImportProblem(Base):
    """Why a line (or a field of a kept line) could not be read as it was: the ``code``
    (explained in the messages), the offending ``value``, and whether the line was
    ``rejected`` (not among the records) or kept."""

    __tablename__ = "linkage_problem"
    __table_args__ = (Index("ix_linkage_problem_source_line", "source_id", "line"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("linkage_source.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(60), nullable=True)
    code: Mapped[str] = mapped_column(String(60))
    value: Mapped[str | None] = mapped_column(String(500), nullable=True)
    rejected: Mapped[bool] = mapped_column(default=True)


class LinkageImport(Base):
    """An uploaded file waiting to be imported, or imported: queued -> running -> done |
    failed. The upload waits in ``path`` (under ``DANCU_LINKAGE_UPLOAD_DIR``) until the
    import ends; a failed import keeps its error's code, message and field."""

    __tablename__ = "linkage_import"
    __table_args__ = (
        CheckConstraint(_in("status", IMPORT_STATUSES), name="status"),
        CheckConstraint(_in("source_type", SOURCE_TYPES), name="source_type"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    source_type: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The mapping given with the upload (None: the saved or default one).
    mapping: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    file_name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger)
    run: Mapped[bool] = mapped_column(default=False)  # queue a linkage run once imported
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("linkage_source.id", ondelete="SET NULL"), nullable=True
    )
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("linkage_job.id", ondelete="SET NULL"), nullable=True
    )
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error_field: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The uploading officer (Actor.to_dict): the worker imports on their behalf.
    actor: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The lease of a running import (linkage/tasks.py): renewed while it runs, and the worker
    # process holding it (common.jobs.worker_id); a stale lease is recovered.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class LinkageJob(Base):
    """A linkage run: queued -> running (step by step, with a heartbeat) -> done | failed."""

    __tablename__ = "linkage_job"
    __table_args__ = (
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        CheckConstraint(_in("step", JOB_STEPS), name="step"),
        Index("ix_linkage_job_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("linkage_source.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    step: Mapped[str] = mapped_column(String(10), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The requesting officer (Actor.to_dict): the worker reads the registry on their behalf.
    actor: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The run's calibration of match probabilities (match_calibration.calibrate's summary).
    calibration: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class MatchResult(Base):
    """A record's outcome in its source's latest run (one per record).

    Keys (migration 0026), chosen for what storing 200,000 results costs (a foreign key is
    checked row by row, and each check locks the row it finds; docs/performance.md):

    * ``(source_id, record_id)`` -> ``linkage_record (source_id, id)``, one key for the
      record and its dataset (a result's dataset is its record's; deleting the record or
      its dataset deletes the result);
    * ``job_id`` (the run that stored it, or null) has no declared foreign key: triggers
      of migration 0026 check it once per statement instead of once per row — a run of
      the same dataset, locked against deletion until the writer commits (as a foreign
      key's check locks it) — and deleting a run sets its results' ``job_id`` to null.
      On SQLite a batch migration that rebuilds this table drops its triggers: such a
      migration must create them again (0026 shows how).
    """

    __tablename__ = "linkage_result"
    __table_args__ = (
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
        ForeignKeyConstraint(
            ["source_id", "record_id"],
            ["linkage_record.source_id", "linkage_record.id"],
            ondelete="CASCADE",
        ),
        Index("ix_linkage_result_source_outcome", "source_id", "outcome"),
        Index("ix_linkage_result_source_commune", "source_id", "commune_code"),
        # ids never reused (SQLite's would be, after a re-run's delete): ``id`` is the
        # queue's ``result_id``, and a re-run's results must not answer to older ones
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(_ID)
    record_id: Mapped[int] = mapped_column(_ID, unique=True)
    job_id: Mapped[int | None] = mapped_column(_ID, nullable=True)
    outcome: Mapped[str] = mapped_column(String(24))
    citizen_pid: Mapped[str | None] = mapped_column(String(12), nullable=True)
    probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    # field -> {"old": sector value, "new": registry value}
    differences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    province_code: Mapped[str | None] = mapped_column(String(2), nullable=True)
    commune_code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    citizen_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    decided: Mapped[bool] = mapped_column(default=False)


# The cleaning queue (migration 0027): the open items only (a third of the rows after a
# run, fewer as officers decide), by the province officer's area, then in the queue's
# order, so that a page reads its rows in order and the counts and the communes read the
# index alone (docs/performance.md).
Index(
    "ix_linkage_result_open",
    MatchResult.province_code,
    MatchResult.outcome,
    MatchResult.probability.desc(),
    MatchResult.source_id,
    MatchResult.commune_code,
    postgresql_where=text(open_items_where("postgresql")),
    sqlite_where=text(open_items_where("sqlite")),
)


class CleaningDecision(Base):
    """An officer's decision on a record in the cleaning queue (also in the audit log)."""

    __tablename__ = "linkage_decision"
    __table_args__ = (CheckConstraint(_in("action", DECISIONS), name="action"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("linkage_record.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(20))
    citizen_pid: Mapped[str | None] = mapped_column(String(12), nullable=True)
    field: Mapped[str | None] = mapped_column(String(60), nullable=True)
    old_value: Mapped[str | None] = mapped_column(String(500), nullable=True)
    new_value: Mapped[str | None] = mapped_column(String(500), nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_by_name: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
