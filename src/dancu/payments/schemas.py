"""Payments shapes: what forms, commands and the API send in, and what services give back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dancu.common.bounds import Code, Text


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EnrolIn(BaseModel):
    """A commune officer's enrolment of a citizen in a programme (waits for the province)."""

    pid: Code
    programme: Code
    category: Code
    commune_code: Code
    reason: Text = ""
    bank_code: Code = ""
    account_id: Code = ""
    consent: bool = False


class ChangeIn(BaseModel):
    action: Literal["suspend", "resume", "end"]
    reason: Text = Field(min_length=1)


class BeneficiaryOut(_Out):
    id: int
    pid: str
    full_name: str
    programme_id: int
    category_code: str
    province_code: str
    commune_code: str
    status: str
    channel: str
    bank_code: str | None = None
    account_id: str | None = None
    reason: str = ""
    death_date: date | None = None
    created_by: str
    approved_by: str | None = None


class ChangeOut(_Out):
    id: int
    beneficiary_id: int
    action: str
    reason: str
    status: str
    made_by: str
    made_by_name: str
    made_at: datetime
    decided_by: str | None = None


class PendingChangeOut(BaseModel):
    change: ChangeOut
    beneficiary: BeneficiaryOut


class ImportProblemOut(BaseModel):
    line: int
    code: str
    detail: str = ""


class ImportOut(BaseModel):
    lines: int
    proposed: int
    problems: list[ImportProblemOut]


class CycleOut(_Out):
    id: int
    programme_id: int
    province_code: str
    month: date
    status: str
    prepared_by: str
    prepared_by_name: str
    approved_by: str | None = None
    approved_by_name: str | None = None
    exclusions: list[dict[str, Any]] = []
    count: int = 0
    amount: int = 0
    bank: int = 0
    paid: int = 0
    failed: int = 0


class FileOut(_Out):
    id: int
    kind: str
    bank_code: str | None = None
    message_id: str
    lines: int
    created_at: datetime


class ReconcileOut(BaseModel):
    file: FileOut
    matched: int
    problems: list[ImportProblemOut]


class FigureOut(BaseModel):
    programme: str
    commune_code: str
    month: date
    beneficiaries: int
    amount: int
    paid_amount: int
    cashless_share: float | None
    failed: int
    flagged: int  # overpayments still to recover (flagged or notified)
    recovered: int
    recovered_amount: int = 0
    waived: int = 0


class MyPaymentOut(BaseModel):
    programme: str
    month: date
    amount: int
    status: str
    channel: str
    bank_code: str | None
    account_masked: str | None
    paid_on: date | None
    recovery: str | None


@dataclass(frozen=True, slots=True)
class Receipt:
    """The post office's answer for one line of a postal list."""

    end_to_end_id: str
    signed_by: str | None  # None: the beneficiary did not come
    paid_on: date


class CategoryOut(_Out):
    code: str
    name: str
    coefficient: int  # thousandths of the standard level
    min_age: int | None = None
    max_age: int | None = None


class LevelOut(_Out):
    effective_from: date
    amount: int
    legal_basis: str = ""


class ProgrammeOut(BaseModel):
    code: str
    name: str
    kind: str
    legal_basis: str
    categories: list[CategoryOut]
    levels: list[LevelOut]


class BeneficiaryPage(BaseModel):
    items: list[BeneficiaryOut]
    total: int
    page: int
    per_page: int


class CycleSummaryOut(_Out):
    """A cycle and its totals, without the names of who was left out (``CycleOut``)."""

    id: int
    programme_id: int
    province_code: str
    month: date
    status: str
    prepared_by_name: str
    approved_by_name: str | None = None
    excluded: int = 0
    count: int = 0
    amount: int = 0
    bank: int = 0
    paid: int = 0
    failed: int = 0


class RecoveryStepIn(BaseModel):
    """An officer's step on an overpayment: the family or bank was asked (``notified``), the
    money is back (``recovered``) or given up (``waived``, which needs the reason)."""

    step: Literal["notified", "recovered", "waived"]
    note: Text = ""


class RecoveryOut(_Out):
    id: int
    instruction_id: int
    pid: str
    payee_name: str = ""
    commune_code: str
    month: date
    amount: int
    reason: str
    status: str
    flagged_by: str
    flagged_at: datetime
    notified_by: str | None = None
    notified_at: datetime | None = None
    closed_by: str | None = None
    closed_at: datetime | None = None
    note: str = ""
