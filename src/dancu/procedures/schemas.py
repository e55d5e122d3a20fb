"""Pydantic shapes in and out of the procedures domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dancu.common.bounds import Code, Text


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ComponentOut(BaseModel):
    key: str
    name: str
    name_en: str  # the English of every catalogue text: beside the Vietnamese, never instead
    required: bool
    satisfied_by: str | None


class FieldOut(BaseModel):
    key: str
    label: str
    label_en: str
    type: str
    required: bool
    prefill: str | None


class FeeOut(BaseModel):
    amount: int
    online_amount: int | None
    per_copy: int | None
    note: str
    note_en: str
    choices: list[dict[str, Any]]
    reduced: dict[str, int]
    exemptions: list[str]


class ProcedureOut(BaseModel):
    code: str
    code_checked: bool
    name: str
    name_en: str
    sector: str
    sector_name: str
    sector_name_en: str
    level: str
    online: str
    essential: bool
    kind: str
    acr: int
    days: int
    fee: FeeOut
    result: str
    result_credential: bool
    components: list[ComponentOut]
    fields: list[FieldOut]
    steps: list[dict[str, Any]]


class Reused(BaseModel):
    """One piece of data the dossier did not ask for: what, and where it came from."""

    kind: Literal["field", "component"]
    key: str
    label: str
    source: Literal["registry", "wallet", "result", "form"]
    detail: str = ""


class Prefill(BaseModel):
    """What the form arrives with, and what the citizen still has to provide."""

    values: dict[str, str]
    reused: list[Reused]
    asked: list[str]  # keys of components to upload
    handling_unit: str
    province_code: str


class FeeOptions(BaseModel):
    choices: list[Code] = []
    reduction: Code | None = None  # an exemption or reduced-fee category the citizen claims


class StepOut(_Out):
    seq: int
    agency: str
    unit_code: str
    days: int
    status: str
    started_on: date | None
    due_on: date | None
    finished_at: datetime | None
    on_time: bool | None
    escalated_at: datetime | None
    outcome: dict[str, Any]


class FileOut(_Out):
    id: int
    component: str
    file_name: str
    sha256: str
    size: int
    content_type: str


class HistoryOut(_Out):
    at: datetime
    actor_id: str
    action: str
    from_status: str | None
    to_status: str | None
    step: int | None
    note: str | None


class DossierOut(_Out):
    code: str | None
    procedure_code: str
    procedure_name: str = ""
    applicant_pid: str
    applicant_name: str
    unit_code: str
    province_code: str
    channel: str
    status: str
    idempotency_key: str
    form: dict[str, Any]
    reused: list[dict[str, Any]]
    asked: list[str]
    delivery: str
    fee_amount: int
    fee_state: str
    paid_amount: int | None
    paid_reference: str | None
    submitted_at: datetime | None
    received_on: date | None
    due_on: date | None
    paused_on: date | None
    decided_at: datetime | None
    reason: str | None
    locked_by: str | None
    assigned_to: str | None
    current_step: int
    on_time: bool | None
    result_digitized: bool
    result: dict[str, Any]
    rating: int | None
    steps: list[StepOut] = []
    files: list[FileOut] = []
    history: list[HistoryOut] = []


class QueueItem(BaseModel):
    code: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    status: str
    step: int
    agency: str
    unit_code: str
    due_on: date | None
    late: bool
    locked_by: str | None
    assigned_to: str | None
    fee_state: str


class QueuePage(BaseModel):
    items: list[QueueItem]
    total: int
    page: int
    per_page: int


class DecisionIn(BaseModel):
    reason: Text = ""


class AssignIn(BaseModel):
    officer_id: Code


class RatingIn(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: Text = ""


class FiguresOut(BaseModel):
    unit: str
    period_from: date
    period_to: date
    procedures_by_level: dict[str, int]
    procedures_by_online: dict[str, int]
    dossiers_total: int
    dossiers_by_channel: dict[str, int]
    dossiers_by_status: dict[str, int]
    decided_on_time: int
    decided_late: int
    fees_collected: int
    components_total: int
    components_reused: int
    results_digitized: int
    ratings: int
    satisfaction: float | None
