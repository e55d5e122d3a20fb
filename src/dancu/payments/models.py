"""Payments tables. Amounts are whole Vietnamese đồng (BIGINT); a month is its first day.

Relationships are not declared: the service loads what a view needs with explicit joins.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")
_MONEY = BigInteger()


class Programme(Base):
    """A benefit programme: monthly social assistance, merit allowance, funeral allowance."""

    __tablename__ = "payment_programme"
    __table_args__ = (CheckConstraint("kind IN ('monthly', 'one_off')", name="kind"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))  # English, translated where shown
    kind: Mapped[str] = mapped_column(String(10))
    legal_basis: Mapped[str] = mapped_column(String(200), default="")


class Category(Base):
    """A category of beneficiaries: its coefficient (thousandths) of the standard level and
    the ages it admits."""

    __tablename__ = "payment_category"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    programme_id: Mapped[int] = mapped_column(_ID, ForeignKey("payment_programme.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    coefficient: Mapped[int] = mapped_column(Integer)  # 1500 = 1.5 times the standard level
    min_age: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_age: Mapped[int | None] = mapped_column(Integer, nullable=True)  # under this age


class Level(Base):
    """The standard level of a programme in force from ``effective_from``."""

    __tablename__ = "payment_level"
    __table_args__ = (UniqueConstraint("programme_id", "effective_from"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    programme_id: Mapped[int] = mapped_column(_ID, ForeignKey("payment_programme.id"))
    effective_from: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(_MONEY)
    legal_basis: Mapped[str] = mapped_column(String(200), default="")


class Beneficiary(Base):
    """A citizen in a programme. ``status``: proposed (waits for the province), active,
    suspended, ended, refused. ``channel``: bank (a verified account) or cash (post)."""

    __tablename__ = "beneficiary"
    __table_args__ = (
        UniqueConstraint("pid", "programme_id"),
        CheckConstraint(
            "status IN ('proposed', 'active', 'suspended', 'ended', 'refused')", name="status"
        ),
        CheckConstraint("channel IN ('bank', 'cash')", name="channel"),
        Index("ix_beneficiary_list", "programme_id", "province_code", "status"),
        Index("ix_beneficiary_commune", "commune_code", "status"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    programme_id: Mapped[int] = mapped_column(_ID, ForeignKey("payment_programme.id"))
    category_code: Mapped[str] = mapped_column(String(40))
    pid: Mapped[str] = mapped_column(String(12))
    full_name: Mapped[str] = mapped_column(String(120))
    province_code: Mapped[str] = mapped_column(String(2))
    commune_code: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    channel: Mapped[str] = mapped_column(String(5), default="cash")
    bank_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(34), nullable=True)
    account_holder: Mapped[str | None] = mapped_column(String(140), nullable=True)
    account_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    source: Mapped[str] = mapped_column(String(20), default="form")
    source_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    death_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(80))
    approved_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class BeneficiaryChange(Base):
    """A commune officer's proposal (enrol, suspend, resume, end) and the province's decision.
    At most one pending proposal per beneficiary (a partial unique index)."""

    __tablename__ = "beneficiary_change"
    __table_args__ = (
        CheckConstraint("action IN ('enrol', 'suspend', 'resume', 'end')", name="action"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        Index(
            "uq_beneficiary_change_pending",
            "beneficiary_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    beneficiary_id: Mapped[int] = mapped_column(_ID, ForeignKey("beneficiary.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    made_by: Mapped[str] = mapped_column(String(80))
    made_by_name: Mapped[str] = mapped_column(String(200))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Cycle(Base):
    """A month's payments of one programme in one province, prepared by one officer and
    approved by another. ``exclusions``: who the registry check left out, and why."""

    __tablename__ = "payment_cycle"
    __table_args__ = (
        UniqueConstraint("programme_id", "province_code", "month"),
        CheckConstraint("status IN ('prepared', 'approved', 'closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    programme_id: Mapped[int] = mapped_column(_ID, ForeignKey("payment_programme.id"))
    province_code: Mapped[str] = mapped_column(String(2))
    month: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="prepared")
    prepared_by: Mapped[str] = mapped_column(String(80))
    prepared_by_name: Mapped[str] = mapped_column(String(200))
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    approved_by_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    exclusions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Instruction(Base):
    """One payment: a beneficiary, a programme, a month (unique), its amount and channel.

    ``status``: pending (built), sent (in a bank file or on the postal list), accepted (the
    bank's status report), paid (booked by the bank, or signed for at the post office),
    failed (rejected or returned; retried or moved to cash). ``recovery``: flagged when paid
    for a month after the beneficiary's death, recovered once the money is back.
    """

    __tablename__ = "payment_instruction"
    __table_args__ = (
        UniqueConstraint("beneficiary_id", "programme_id", "month"),
        CheckConstraint(
            "status IN ('pending', 'sent', 'accepted', 'paid', 'failed')", name="status"
        ),
        CheckConstraint("channel IN ('bank', 'cash')", name="channel"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_payment_instruction_cycle", "cycle_id", "channel", "status"),
        Index("ix_payment_instruction_pid", "pid", "month"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    cycle_id: Mapped[int] = mapped_column(_ID, ForeignKey("payment_cycle.id"))
    beneficiary_id: Mapped[int] = mapped_column(_ID, ForeignKey("beneficiary.id"))
    programme_id: Mapped[int] = mapped_column(_ID, ForeignKey("payment_programme.id"))
    month: Mapped[date] = mapped_column(Date)
    pid: Mapped[str] = mapped_column(String(12))
    payee_name: Mapped[str] = mapped_column(String(120))
    commune_code: Mapped[str] = mapped_column(String(5))
    amount: Mapped[int] = mapped_column(_MONEY)
    channel: Mapped[str] = mapped_column(String(5))
    bank_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(34), nullable=True)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failure_reason: Mapped[str | None] = mapped_column(String(140), nullable=True)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    signed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    recovery: Mapped[str | None] = mapped_column(String(10), nullable=True)
    recovery_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PaymentFile(Base):
    """A file sent to or received from a bank or the post office, kept as it was."""

    __tablename__ = "payment_file"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    cycle_id: Mapped[int | None] = mapped_column(
        _ID, ForeignKey("payment_cycle.id"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # pain.001, pain.002, camt.054, postal
    bank_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReconciliationProblem(Base):
    """A line of an imported status report or notification that did not reconcile."""

    __tablename__ = "payment_problem"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    file_id: Mapped[int] = mapped_column(_ID, ForeignKey("payment_file.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(60))
    reference: Mapped[str] = mapped_column(String(35))
    detail: Mapped[str] = mapped_column(String(200), default="")


class Recovery(Base):
    """Money to get back: a payment made for a month after the beneficiary's death.

    ``status``: flagged (found), notified (the family or the bank told to return it),
    recovered (the money is back) or waived (given up, with the reason). Who moved it and
    when is kept for each step; ``Instruction.recovery`` mirrors the status for lists.
    """

    __tablename__ = "payment_recovery"
    __table_args__ = (
        CheckConstraint("status IN ('flagged', 'notified', 'recovered', 'waived')", name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_payment_recovery_status", "status", "commune_code"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    instruction_id: Mapped[int] = mapped_column(
        _ID, ForeignKey("payment_instruction.id"), unique=True
    )
    pid: Mapped[str] = mapped_column(String(12), index=True)
    province_code: Mapped[str] = mapped_column(String(2))
    commune_code: Mapped[str] = mapped_column(String(5))
    month: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(_MONEY)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="flagged")
    flagged_by: Mapped[str] = mapped_column(String(80))
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    notified_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")
