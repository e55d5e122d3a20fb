"""Registry tables. Relationships are ``lazy="raise"``: load what a view needs explicitly."""

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
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class Citizen(Base):
    __tablename__ = "citizen"
    __table_args__ = (
        CheckConstraint("sex IN ('M', 'F')", name="sex"),
        CheckConstraint("status IN ('alive', 'deceased')", name="status"),
        CheckConstraint(
            "marital_status IN ('single', 'married', 'divorced', 'widowed')", name="marital"
        ),
        CheckConstraint("death_date IS NULL OR death_date >= birth_date", name="death_after_birth"),
        Index("ix_citizen_search", "province_code", "name_folded", "birth_date"),
        Index("ix_citizen_commune_name", "commune_code", "name_folded"),
        # A birth date narrows a search to a few dozen people of a province (migration 0009).
        Index("ix_citizen_birth", "province_code", "birth_date"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    pid: Mapped[str] = mapped_column(String(12), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    name_folded: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    ethnicity: Mapped[str] = mapped_column(String(40), default="Kinh")
    religion: Mapped[str] = mapped_column(String(40), default="Không")
    nationality: Mapped[str] = mapped_column(String(2), default="VN")
    place_of_birth: Mapped[str] = mapped_column(String(200), default="")
    hometown: Mapped[str] = mapped_column(String(200), default="")
    province_code: Mapped[str] = mapped_column(String(2))
    commune_code: Mapped[str] = mapped_column(String(5))
    address_detail: Mapped[str] = mapped_column(String(200), default="")
    temp_commune_code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    temp_address_detail: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="alive")
    death_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    marital_status: Mapped[str] = mapped_column(String(10), default="single")
    spouse_id: Mapped[int | None] = mapped_column(_ID, ForeignKey("citizen.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    membership: Mapped[HouseholdMember | None] = relationship(
        back_populates="citizen", lazy="raise", uselist=False
    )


class Household(Base):
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    household_no: Mapped[str] = mapped_column(String(20), unique=True)
    province_code: Mapped[str] = mapped_column(String(2))
    commune_code: Mapped[str] = mapped_column(String(5), index=True)
    address_detail: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members: Mapped[list[HouseholdMember]] = relationship(back_populates="household", lazy="raise")


class HouseholdMember(Base):
    """A citizen's place in the household of their permanent residence (at most one)."""

    __tablename__ = "household_member"
    __table_args__ = (
        CheckConstraint(
            "relation IN ('head', 'spouse', 'child', 'parent', 'grandchild', 'grandparent',"
            " 'sibling', 'other')",
            name="relation",
        ),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"), unique=True)
    relation: Mapped[str] = mapped_column(String(12))

    household: Mapped[Household] = relationship(back_populates="members", lazy="raise")
    citizen: Mapped[Citizen] = relationship(back_populates="membership", lazy="raise")


class CivilEvent(Base):
    """A civil-status event as registered (birth, death, marriage, divorce, residence)."""

    __tablename__ = "civil_event"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('birth', 'death', 'marriage', 'divorce', 'residence_change')", name="kind"
        ),
        UniqueConstraint("idempotency_key", name="uq_civil_event_idempotency_key"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"), index=True)
    other_citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizen.id"), nullable=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    registered_by: Mapped[str] = mapped_column(String(80))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), nullable=True)


class IdCard(Base):
    """A chip ID card through its lifecycle: applied -> produced -> issued (-> lost/revoked...)."""

    __tablename__ = "id_card"
    __table_args__ = (
        CheckConstraint(
            "status IN ('applied', 'produced', 'issued', 'lost', 'revoked', 'replaced')",
            name="status",
        ),
        CheckConstraint(
            "reason IN ('first', 'renewal', 'replacement', 'correction')", name="reason"
        ),
        Index("ix_id_card_citizen", "citizen_id", "status"),
        # At most one card in progress or valid per citizen, by constraint (no check-then-act).
        Index(
            "uq_id_card_active",
            "citizen_id",
            unique=True,
            postgresql_where=text("status IN ('applied', 'produced', 'issued')"),
            sqlite_where=text("status IN ('applied', 'produced', 'issued')"),
        ),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"))
    card_no: Mapped[str] = mapped_column(String(12))
    serial: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(12), default="first")
    applied_on: Mapped[date] = mapped_column(Date)
    produced_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    commune_code: Mapped[str] = mapped_column(String(5))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("id_card.id"), nullable=True)
    closed_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
