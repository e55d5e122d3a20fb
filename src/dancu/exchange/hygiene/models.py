"""The quarterly review campaigns (each unit re-confirms the accounts it answers for), and
the partner accesses the per-area review and the check-in figures count."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
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


class ReviewCampaign(Base):
    __tablename__ = "exchange_review_campaign"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    quarter: Mapped[str] = mapped_column(String(7), unique=True)  # 2026-Q4
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(80))


class ReviewItem(Base):
    """One holder of access a unit must re-confirm (keep) or give up (suspend)."""

    __tablename__ = "exchange_review_item"
    __table_args__ = (UniqueConstraint("campaign_id", "holder_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("exchange_review_campaign.id"))
    unit: Mapped[str] = mapped_column(String(200))  # the organization that answers for it
    holder_id: Mapped[str] = mapped_column(String(80))  # account:<id> or client:<id>
    holder_name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(500))
    decision: Mapped[str | None] = mapped_column(String(10), nullable=True)  # keep, suspend
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class PartnerAccess(Base):
    """One partner's access to one citizen's data through the door (append-only): where
    the citizen lives, which partner, for which purpose, when; for a check-in, whether the
    insurance card was valid there. The area review and the check-in figures count these
    rows: a check-in inserts one row and locks no counter row."""

    __tablename__ = "exchange_access"
    __table_args__ = (
        Index("ix_exchange_access_province_day", "province_code", "day"),
        Index("ix_exchange_access_kind_day", "kind", "day"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    day: Mapped[date] = mapped_column(Date)
    # No foreign key: the record outlives a partner's removal, like the message log.
    partner_id: Mapped[int] = mapped_column(_ID, index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # checkin, ekyc, registries, cleaning
    province_code: Mapped[str] = mapped_column(String(2))
    commune_code: Mapped[str] = mapped_column(String(5))
    pid: Mapped[str] = mapped_column(String(12))
    insured: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # check-ins only
