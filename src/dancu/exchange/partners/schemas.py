"""Shapes in and out of the partners sub-package."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from dancu.common.access import Actor


class PurposeIn(BaseModel):
    purpose: str = Field(max_length=40)
    fields: list[str] | None = None  # None: the kind's default (purposes.DEFAULTS)
    consent_fields: list[str] | None = None
    rate_per_minute: int = Field(default=300, ge=1, le=1_000_000)


class PartnerIn(BaseModel):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=2, max_length=200)
    kind: str = Field(max_length=20)
    facility_code: str | None = Field(default=None, max_length=10)
    rate_per_minute: int = Field(default=600, ge=1, le=1_000_000)
    purposes: list[PurposeIn] | None = None  # None: the kind's default purposes


class PartnerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str
    facility_code: str | None
    rate_per_minute: int
    created_at: datetime
    suspended_at: datetime | None


@dataclass(frozen=True)
class NewCredential:
    client_id: str
    secret: str | None  # a client_secret_basic client's secret: shown once, never stored
    expires_at: datetime


@dataclass(frozen=True)
class PartnerContext:
    """What ``authorize`` found: who asks, for which purpose, and what may be released.

    ``fields``: what this request may receive without consent; ``consent_fields``: what it
    may receive for a citizen who consented; ``asked``: what the request asked for."""

    partner_id: int
    partner_code: str
    partner_name: str
    kind: str
    facility_code: str | None
    client_id: str
    purpose: str
    actor: Actor
    fields: frozenset[str]
    consent_fields: frozenset[str]
    asked: frozenset[str] = field(default_factory=frozenset)

    @property
    def needs_consent(self) -> frozenset[str]:
        """The asked fields that only a citizen's consent releases."""
        return self.asked - self.fields
