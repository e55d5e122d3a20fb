"""Consent shapes: a partner's request and the receipt."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ConsentAskIn(BaseModel):
    pid: str = Field(pattern=r"^[0-9]{12}$")
    purpose: str = Field(max_length=40)
    fields: list[str] = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=3, max_length=500)
    days: int = Field(default=30, ge=1, le=365)


class ConsentReceipt(BaseModel):
    """Who asked, for what, why, until when, and the citizen's answer."""

    id: int
    partner: str
    purpose: str
    fields: list[str]
    reason: str
    status: str
    requested_at: datetime
    decided_at: datetime | None
    valid_until: datetime | None
    revoked_at: datetime | None
