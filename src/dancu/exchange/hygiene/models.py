"""The quarterly review campaigns: each unit re-confirms the accounts it answers for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
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
