"""Health-insurance cards as the insurer sends them, with the citizen each is linked to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class InsuranceCard(Base):
    """One card (``card_number`` is the insurer's 15-character number, e.g. DN4660123456789).

    ``pid`` is the linked citizen (None while unlinked); ``link_method`` how it was found:
    ``id`` (the ID number the insurer sent), ``exact`` or ``probabilistic`` (the linkage
    engine, without a number), ``birth`` (issued here for a newborn)."""

    __tablename__ = "exchange_insurance_card"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    card_number: Mapped[str] = mapped_column(String(15), unique=True)
    pid: Mapped[str | None] = mapped_column(String(12), nullable=True, index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    sex: Mapped[str | None] = mapped_column(String(1), nullable=True)
    commune_code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    sent_pid: Mapped[str | None] = mapped_column(String(12), nullable=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    facility_code: Mapped[str] = mapped_column(String(10))
    facility_name: Mapped[str] = mapped_column(String(200))
    benefit_level: Mapped[int] = mapped_column(Integer)
    link_method: Mapped[str | None] = mapped_column(String(20), nullable=True)
    source: Mapped[str] = mapped_column(String(10))  # file, api, birth
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
