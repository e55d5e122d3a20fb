"""The portal's bookkeeping: inbound dossiers by portal id, outbound deliveries to make."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class NpspInbound(Base):
    """A dossier received from the portal: its portal id is claimed once, forever."""

    __tablename__ = "npsp_inbound"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    portal_dossier_id: Mapped[str] = mapped_column(String(64), unique=True)
    dossier_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class NpspDelivery(Base):
    """A status change to publish to the portal; delivered once, retried until then."""

    __tablename__ = "npsp_delivery"
    __table_args__ = (Index("ix_npsp_delivery_pending", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(120), unique=True)  # the idempotency key
    dossier_code: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
