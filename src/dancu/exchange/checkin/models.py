"""Check-in counts per facility and day, and the kiosks bound to a facility partner."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class CheckinCount(Base):
    """How many check-ins a facility made in a day (one upsert per check-in)."""

    __tablename__ = "exchange_checkin_count"

    facility_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    checkins: Mapped[int] = mapped_column(Integer, default=0)
    insured: Mapped[int] = mapped_column(Integer, default=0)  # the card was valid here


class Kiosk(Base):
    """A self-service kiosk of a hospital partner; it signs in with its device secret
    (kept as a SHA-256 digest), set as a cookie when the kiosk is enrolled."""

    __tablename__ = "exchange_kiosk"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("exchange_partner.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
