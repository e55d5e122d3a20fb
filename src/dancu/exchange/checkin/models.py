"""The kiosks bound to a facility partner (check-ins are counted from ``exchange_access``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


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
