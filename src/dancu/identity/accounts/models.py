"""Account tables: e-ID accounts, login sessions, history, codes, messages, officers, orgs.

An account belongs to one registry citizen (by ID number, not by foreign key: identity
reads the registry only through its services). Relationships are not declared; queries
in ``repository.py`` join what they need.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class Account(Base):
    """An e-ID account (tài khoản định danh điện tử) of a citizen, or a child's dependant one."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint("level IN (0, 1, 2)", name="level"),
        CheckConstraint("kind IN ('citizen', 'dependant')", name="kind"),
        CheckConstraint("status IN ('pending', 'active', 'closed')", name="status"),
        CheckConstraint(
            "kind = 'citizen' OR (guardian_id IS NOT NULL AND level = 0)", name="dependant"
        ),
        Index("ix_account_commune", "commune_code", "level"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    citizen_pid: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="citizen")
    display_name: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    guardian_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id"), nullable=True, index=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    photo_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    photo_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    province_code: Mapped[str] = mapped_column(String(2))
    commune_code: Mapped[str] = mapped_column(String(5))
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    level2_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    level2_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)


class AccountEvent(Base):
    """The usage history shown to the holder (kept five years, see ``purge_history``)."""

    __tablename__ = "account_event"
    __table_args__ = (Index("ix_account_event_account", "account_id", "at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(45), default="")


class OneTimeCode(Base):
    """A 6-digit code sent by SMS or e-mail; stored as an HMAC, never in clear."""

    __tablename__ = "one_time_code"
    __table_args__ = (
        CheckConstraint("purpose IN ('phone', 'login', 'recovery', 'email')", name="purpose"),
        Index("ix_one_time_code_account", "account_id", "purpose", "id"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    purpose: Mapped[str] = mapped_column(String(10))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OutboundMessage(Base):
    """An SMS or e-mail to send (the messages outbox; the dev sink lists these)."""

    __tablename__ = "outbound_message"
    __table_args__ = (CheckConstraint("channel IN ('sms', 'email')", name="channel"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(5))
    recipient: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(500))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OfficerRole(Base):
    """A role granted to an account over one administrative unit ('' = nationwide)."""

    __tablename__ = "officer_role"
    __table_args__ = (
        Index(
            "uq_officer_role_active",
            "account_id",
            "role",
            "unit_code",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
            sqlite_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    unit_code: Mapped[str] = mapped_column(String(5), default="")
    organization: Mapped[str] = mapped_column(String(200), default="")
    granted_by: Mapped[str] = mapped_column(String(80))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Organization(Base):
    """An agency or enterprise account, represented by a level-2 citizen."""

    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint("kind IN ('agency', 'enterprise')", name="kind"),
        CheckConstraint("status IN ('active', 'closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(20), unique=True)  # tax or agency code
    name: Mapped[str] = mapped_column(String(200))
    representative_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StaffMembership(Base):
    """A citizen account acting for an organization, delegated by it (revocable)."""

    __tablename__ = "staff_membership"
    __table_args__ = (
        Index(
            "uq_staff_membership_active",
            "organization_id",
            "account_id",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
            sqlite_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    granted_by: Mapped[int] = mapped_column(ForeignKey("account.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
