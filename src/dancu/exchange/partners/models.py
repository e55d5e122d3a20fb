"""Partners, their purposes (with the fields each releases) and their credentials."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class Partner(Base):
    """A system outside the platform that uses population data through the exchange."""

    __tablename__ = "exchange_partner"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # hospital, bank, insurer, agency
    # A hospital's medical-facility code (the insurer's "registered facility" is one).
    facility_code: Mapped[str | None] = mapped_column(String(10), nullable=True, index=True)
    rate_per_minute: Mapped[int] = mapped_column(Integer, default=600)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    suspended_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class PartnerPurpose(Base):
    """A purpose granted to a partner: the fields it releases by default, the further ones
    it may release with the citizen's consent, and its own rate limit."""

    __tablename__ = "exchange_partner_purpose"

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_partner.id", ondelete="CASCADE"), primary_key=True
    )
    purpose: Mapped[str] = mapped_column(String(40), primary_key=True)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    consent_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    rate_per_minute: Mapped[int] = mapped_column(Integer, default=300)


class Credential(Base):
    """One OIDC client-credentials client of a partner: it expires, is rotated out (kept
    working until ``expires_at``, the overlap) or revoked (at once)."""

    __tablename__ = "exchange_credential"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_partner.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
