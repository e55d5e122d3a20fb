"""Registry API shapes (pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")
Sex = Literal["M", "F"]
Relation = Literal[
    "head", "spouse", "child", "parent", "grandchild", "grandparent", "sibling", "other"
]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CitizenSummary(_Out):
    pid: str
    full_name: str
    birth_date: date
    sex: Sex
    commune_code: str
    commune_name: str = ""
    status: str


class CitizenOut(_Out):
    pid: str
    full_name: str
    birth_date: date
    sex: Sex
    ethnicity: str
    religion: str
    nationality: str
    place_of_birth: str
    hometown: str
    province_code: str
    commune_code: str
    address_detail: str
    permanent_address: str = ""
    temp_commune_code: str | None = None
    temp_address_detail: str | None = None
    status: str
    death_date: date | None = None
    marital_status: str
    spouse_pid: str | None = None
    household_no: str | None = None
    relation_to_head: str | None = None
    card: CardOut | None = None


class CardOut(_Out):
    id: int
    card_no: str
    serial: str
    status: str
    reason: str
    applied_on: date
    produced_on: date | None = None
    issued_on: date | None = None
    expires_on: date | None = None
    commune_code: str
    # How an issued card stands on the day it was read: "valid", "expiring" or "expired"
    # (``cards.validity``); None for a card not in use (applied, lost, replaced...).
    validity: Literal["valid", "expiring", "expired"] | None = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int


class HouseholdMemberOut(BaseModel):
    pid: str
    full_name: str
    birth_date: date
    sex: Sex
    relation: Relation
    status: str


class HouseholdOut(BaseModel):
    household_no: str
    commune_code: str
    address: str
    members: list[HouseholdMemberOut]


class ResidenceConfirmation(BaseModel):
    """The content of a residence confirmation (form CT07) for one citizen."""

    citizen: CitizenOut
    household: HouseholdOut | None
    head: HouseholdMemberOut | None
    issued_on: date
    authority_commune: str  # the police of this commune confirm (the permanent residence's)


class CitizenIn(BaseModel):
    """A person entered into the registry (import, or birth registration's child data)."""

    pid: str = Field(min_length=9, max_length=14)
    full_name: str = Field(min_length=2, max_length=120)
    birth_date: date
    sex: Sex
    ethnicity: str = Field(default="Kinh", max_length=40)
    religion: str = Field(default="Không", max_length=40)
    nationality: str = Field(default="VN", min_length=2, max_length=2)
    place_of_birth: str = Field(default="", max_length=200)
    hometown: str = Field(default="", max_length=200)
    commune_code: str = Field(min_length=5, max_length=5)
    address_detail: str = Field(default="", max_length=200)


class BirthIn(BaseModel):
    full_name: str = Field(min_length=2, max_length=120)
    birth_date: date
    sex: Sex
    mother_pid: str | None = None
    father_pid: str | None = None
    ethnicity: str = Field(default="Kinh", max_length=40)
    religion: str = Field(default="Không", max_length=40)
    place_of_birth: str = Field(default="", max_length=200)
    commune_code: str | None = Field(default=None, min_length=5, max_length=5)
    address_detail: str | None = Field(default=None, max_length=200)


class DeathIn(BaseModel):
    pid: str
    death_date: date
    cause: str | None = Field(default=None, max_length=200)


class MarriageIn(BaseModel):
    pid: str
    spouse_pid: str
    married_on: date


class DivorceIn(BaseModel):
    pid: str
    spouse_pid: str
    divorced_on: date


class ResidenceChangeIn(BaseModel):
    pid: str
    commune_code: str = Field(min_length=5, max_length=5)
    address_detail: str = Field(max_length=200)
    moved_on: date
    household_no: str | None = None
    relation: Relation = "other"


class CivilEventOut(_Out):
    id: int
    kind: str
    occurred_on: date
    registered_at: datetime
    registered_by: str
    citizen_pid: str
    details: dict[str, object] = {}


class CardApplicationIn(BaseModel):
    pid: str
    applied_on: date | None = None
    reason: Literal["first", "renewal", "replacement", "correction"] = "first"


class CardTransitionIn(BaseModel):
    on: date | None = None
    reason: str | None = Field(default=None, max_length=200)


class AuditEntryOut(_Out):
    id: int
    seq: int | None = None  # the position in the hash chain, once sealed
    at: datetime
    actor_id: str
    actor_name: str
    organization: str
    purpose: str
    action: str
    fields: list[str]


CitizenOut.model_rebuild()
