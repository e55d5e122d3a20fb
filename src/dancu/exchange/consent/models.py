"""Consent requests and the citizen's answers (the receipts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class ConsentRequest(Base):
    """``status``: pending, approved, refused, revoked (an approved one also ends at
    ``valid_until``)."""

    __tablename__ = "exchange_consent"
    __table_args__ = (Index("ix_exchange_consent_pid", "pid", "status"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("exchange_partner.id", ondelete="CASCADE"))
    pid: Mapped[str] = mapped_column(String(12))
    purpose: Mapped[str] = mapped_column(String(40))
    fields: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))
    days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
