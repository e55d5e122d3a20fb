"""Pydantic shapes in and out of the identity services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RegistrationIn(BaseModel):
    pid: str = Field(min_length=9, max_length=14)
    full_name: str = Field(min_length=2, max_length=120)
    birth_date: date
    phone: str = Field(max_length=30)
    email: str = Field(max_length=200)
    password: str = Field(max_length=200)
    photo: bytes
    photo_type: str = Field(max_length=20)


class DependantIn(BaseModel):
    pid: str = Field(min_length=9, max_length=14)
    full_name: str = Field(min_length=2, max_length=120)
    birth_date: date


class LevelTwoIn(BaseModel):
    """What the police officer enters at the desk after reading the chip card."""

    pid: str = Field(min_length=9, max_length=14)
    mrz: str = Field(min_length=90, max_length=100)
    # Passive authentication of the chip (identity/chip.py ``verify_chip``, helper W):
    # "verified" when the chip's signatures checked out, "not_checked" when no reader was
    # used (the officer then relies on the printed card), "failed" refuses the raise.
    chip_verified: Literal["verified", "not_checked", "failed"] = "not_checked"


class AccountOut(_Out):
    id: int
    citizen_pid: str
    kind: str
    display_name: str
    level: int
    status: str
    phone: str | None = None
    email: str | None = None
    province_code: str
    commune_code: str
    guardian_id: int | None = None
    totp_enabled: bool = False
    created_at: datetime
    activated_at: datetime | None = None
    level2_at: datetime | None = None


class AccountEventOut(_Out):
    id: int
    at: datetime
    kind: str
    detail: dict[str, Any]
    ip: str


class LoginSessionOut(_Out):
    id: str
    created_at: datetime
    auth_time: datetime
    last_seen_at: datetime
    amr: list[str]
    ip: str
    user_agent: str
    revoked_at: datetime | None = None


class MessageOut(_Out):
    id: int
    channel: str
    recipient: str
    body: str
    created_at: datetime


class OfficerRoleOut(_Out):
    id: int
    account_id: int
    role: str
    unit_code: str
    organization: str
    granted_by: str
    granted_at: datetime
    revoked_at: datetime | None = None


class OrganizationOut(_Out):
    id: int
    kind: str
    code: str
    name: str
    representative_id: int
    status: str


class StaffOut(_Out):
    id: int
    organization_id: int
    account_id: int
    role: str
    granted_at: datetime
    revoked_at: datetime | None = None


class StatisticsRow(BaseModel):
    province_code: str
    commune_code: str | None
    registered: int
    level1: int
    level2: int
    dependants: int
    closed: int
