"""The cleaning job's table: one uploaded customer list, its progress and its result file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")
STATUSES = ("queued", "running", "done", "failed")


class CleaningJob(Base):
    """queued -> running -> done | failed. The upload waits in ``path`` until the job ends;
    the result (the bank's rows plus our columns) is written to ``result_path`` whole, then
    named, so a failed job leaves no half-written result."""

    __tablename__ = "exchange_cleaning_job"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    partner: Mapped[str] = mapped_column(String(80), index=True)  # the requesting actor's id
    actor: Mapped[dict[str, Any]] = mapped_column(JSON)
    file_name: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger)
    mapping: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    step: Mapped[str] = mapped_column(String(20), default="queued")
    lines: Mapped[int] = mapped_column(Integer, default=0)  # data lines read so far
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    result_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error_field: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
