"""Check-in shapes: what a hospital sends and what it gets back."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, model_validator


class CheckinIn(BaseModel):
    """Exactly one of: the ID number, the card's MRZ (three lines), a wallet document's QR
    (the SD-JWT presentation), or ``scan`` (a reader's line: any of the three)."""

    pid: str | None = Field(default=None, max_length=12)
    mrz: str | None = Field(default=None, max_length=100)
    qr: str | None = Field(default=None, max_length=20_000)
    scan: str | None = Field(default=None, max_length=20_000)
    fields: list[str] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _one(self) -> CheckinIn:
        given = [v for v in (self.pid, self.mrz, self.qr, self.scan) if v]
        if len(given) != 1:
            raise ValueError("give exactly one of pid, mrz, qr or scan")
        return self


class CheckinOut(BaseModel):
    """The most a check-in can release; each partner gets its purpose's fields of it."""

    purpose: str
    checked_at: str
    full_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    insurance_valid: bool | None = None
    insurance_benefit_level: int | None = None
    insurance_valid_to: date | None = None
    insurance_facility: str | None = None
    insurance_card_number: str | None = None
    permanent_address: str | None = None


class DayCount(BaseModel):
    facility_name: str  # the hospital partner's name
    day: date
    checkins: int
    insured: int
