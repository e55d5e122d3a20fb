"""Shapes of health-insurance cards in and out."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class CardIn(BaseModel):
    """One card as the insurer sends it (file row or API item)."""

    card_number: str = Field(pattern=r"^[A-Z]{2}[1-5][0-9]{12}$")
    pid: str | None = Field(default=None, max_length=12)
    full_name: str = Field(min_length=1, max_length=200)
    birth_date: date | None = None
    sex: str | None = Field(default=None, pattern=r"^[MF]$")
    commune_code: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    valid_from: date
    valid_to: date
    facility_code: str = Field(min_length=1, max_length=10)
    facility_name: str = Field(min_length=1, max_length=200)
    benefit_level: int = Field(ge=1, le=5)


class CardsIn(BaseModel):
    cards: list[CardIn] = Field(min_length=1, max_length=1000)


class ImportOut(BaseModel):
    received: int
    stored: int
    problems: list[dict[str, str | int]] = Field(default_factory=list)


class SyncRate(BaseModel):
    cards: int
    linked: int
    rate: float
    by_method: dict[str, int]


class CardOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    card_number: str
    valid_from: date
    valid_to: date
    facility_code: str
    facility_name: str
    benefit_level: int
