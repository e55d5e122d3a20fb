"""Procedures tables: dossiers, their agency steps, files, history, and calendar days.

Relationships are not declared: every query names its join (``repository.py``). State
changes are conditional UPDATEs on ``status`` / ``version`` (``service.py``), so two officers
(or a double click) never both win.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")

STATUSES = (
    "draft",  # the citizen is filling it in
    "submitted",  # received, waiting in the first step's queue
    "processing",  # an officer works on the current step
    "supplement",  # waiting for the citizen to supplement (the clock stops)
    "approved",  # every step done: the result is issued
    "rejected",  # refused with a reason
    "withdrawn",  # the citizen withdrew it
)
STEP_STATUSES = ("waiting", "active", "done", "rejected", "sent")
CHANNELS = ("online", "counter", "npsp")
DELIVERIES = ("wallet", "post", "counter")
FEE_STATES = ("none", "unpaid", "paid")
DAY_KINDS = ("off", "work")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Dossier(Base):
    """One citizen's application for one procedure (``code`` is the receipt's number)."""

    __tablename__ = "procedure_dossier"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("delivery", DELIVERIES), name="delivery"),
        CheckConstraint(_in("fee_state", FEE_STATES), name="fee_state"),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating"),
        UniqueConstraint("applicant_pid", "idempotency_key", name="uq_procedure_dossier_key"),
        Index("ix_procedure_dossier_queue", "unit_code", "status"),
        Index("ix_procedure_dossier_applicant", "applicant_pid", "status"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    code: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    procedure_code: Mapped[str] = mapped_column(String(10))
    applicant_pid: Mapped[str] = mapped_column(String(12))
    account_id: Mapped[int | None] = mapped_column(_ID, nullable=True)
    applicant_name: Mapped[str] = mapped_column(String(120))
    province_code: Mapped[str] = mapped_column(String(2))
    unit_code: Mapped[str] = mapped_column(String(5))  # the handling commune or province
    channel: Mapped[str] = mapped_column(String(10), default="online")
    status: Mapped[str] = mapped_column(String(12), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reused: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    asked: Mapped[list[str]] = mapped_column(JSON, default=list)  # components to upload
    delivery: Mapped[str] = mapped_column(String(10), default="wallet")
    fee_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_state: Mapped[str] = mapped_column(String(8), default="none")
    paid_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    paid_reference: Mapped[str | None] = mapped_column(String(80), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    received_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    paused_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    assigned_to: Mapped[str | None] = mapped_column(String(80), nullable=True)
    current_step: Mapped[int] = mapped_column(Integer, default=1)
    on_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    result_digitized: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_comment: Mapped[str | None] = mapped_column(String(500), nullable=True)


class DossierStep(Base):
    """One agency's step of a dossier, with its own queue (agency, unit) and deadline."""

    __tablename__ = "procedure_step"
    __table_args__ = (
        CheckConstraint(_in("status", STEP_STATUSES), name="status"),
        UniqueConstraint("dossier_id", "seq", name="uq_procedure_step_seq"),
        Index("ix_procedure_step_queue", "agency", "unit_code", "status"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("procedure_dossier.id"))
    seq: Mapped[int] = mapped_column(Integer)
    agency: Mapped[str] = mapped_column(String(20))
    unit_code: Mapped[str] = mapped_column(String(5))
    days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    started_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    officer_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    on_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DossierFile(Base):
    """An uploaded component: the bytes live on disk under their SHA-256 (``files.py``)."""

    __tablename__ = "procedure_file"
    __table_args__ = (Index("ix_procedure_file_dossier", "dossier_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("procedure_dossier.id"))
    component: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DossierHistory(Base):
    """Every change of a dossier's state: who, when, from what to what, why."""

    __tablename__ = "procedure_history"
    __table_args__ = (Index("ix_procedure_history_dossier", "dossier_id", "id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("procedure_dossier.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)


class CalendarDay(Base):
    """A day the government or a province declared off, or a weekend day made a working
    day (a swap); ``province_code`` "" means nationwide."""

    __tablename__ = "procedure_calendar_day"
    __table_args__ = (CheckConstraint(_in("kind", DAY_KINDS), name="kind"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2), primary_key=True, default="")
    kind: Mapped[str] = mapped_column(String(4))
    note: Mapped[str] = mapped_column(String(200), default="")
