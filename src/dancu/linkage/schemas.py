"""Linkage inputs and outputs (pydantic): sources, problems, jobs, rates, the queue."""

from __future__ import annotations

import typing
from datetime import datetime
from typing import Any, Literal

from pydantic import AliasPath, BaseModel, ConfigDict, Field

Outcome = Literal[
    "synced",
    "synced_with_differences",
    "probable_match",
    "not_found",
    "duplicate_in_source",
    "not_in_province",
]
OUTCOME_ORDER: tuple[str, ...] = typing.get_args(Outcome)
# Fields an officer may correct in a sector record (our field names, see mappings.FIELDS).
CORRECTABLE = ("full_name", "birth_date", "sex", "id_number", "commune_code")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SourceOut(_Out):
    id: int
    source_type: str
    name: str
    province_code: str
    mapping: dict[str, str]
    file_name: str
    encoding: str
    lines: int
    records: int
    problem_lines: int
    imported_by: str
    imported_at: datetime


class ProblemOut(_Out):
    line: int
    field: str | None
    code: str
    value: str | None
    rejected: bool


class ImportOut(BaseModel):
    source: SourceOut
    problems: list[ProblemOut]
    job_id: int | None = None


class ImportStatusOut(_Out):
    """An upload's import: queued -> running -> done (with the dataset and its first
    problems) | failed (with the error's code, message and field)."""

    id: int
    status: Literal["queued", "running", "done", "failed"]
    source_type: str
    province_code: str
    name: str | None
    file_name: str
    size: int
    run: bool
    source_id: int | None
    job_id: int | None
    error_code: str | None
    error_field: str | None
    error: str | None
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    source: SourceOut | None = None
    problems: list[ProblemOut] = Field(default_factory=list)


class JobOut(_Out):
    id: int
    source_id: int
    status: Literal["queued", "running", "done", "failed"]
    step: str
    done: int
    total: int
    attempts: int
    error: str | None
    requested_by: str
    # who asked, by name and organization (a page shows these, never the actor's id)
    requester: str = Field(default="", validation_alias=AliasPath("actor", "name"))
    requester_organization: str = Field(
        default="", validation_alias=AliasPath("actor", "organization")
    )
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class RateRow(BaseModel):
    """Outcome counts and the sync rate of one dataset, in one commune or overall."""

    level: Literal["dataset", "commune"]
    source_id: int
    source_name: str
    source_type: str
    province_code: str
    commune_code: str | None  # at commune level, None: records whose commune is unknown
    commune_name: str = ""
    records: int = 0
    counts: dict[str, int] = Field(default_factory=dict)

    @property
    def synced(self) -> int:
        return self.counts.get("synced", 0) + self.counts.get("synced_with_differences", 0)

    @property
    def rate(self) -> float:
        """Synced (with or without differing fields) over records, 0..1."""
        return self.synced / self.records if self.records else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**self.model_dump(), "synced": self.synced, "rate": round(self.rate, 4)}


class ReportOut(BaseModel):
    source: SourceOut
    overall: RateRow
    communes: list[RateRow]
    problems: list[ProblemOut]
    problems_total: int
    job: JobOut | None
    deceased: int = 0  # records linked to citizens registered as deceased
    importer: str = ""  # who imported the dataset, by name (its audit entry)
    scope: str = ""  # the area the rates cover for this reader (their communes or the province)


class QueueItem(BaseModel):
    result_id: int
    record_id: int
    source_id: int
    source_name: str
    line: int
    outcome: Outcome
    probability: float | None
    citizen_pid: str | None
    differences: dict[str, dict[str, Any]]
    full_name: str | None
    birth_date: str | None
    id_number: str | None
    commune_code: str | None
    commune_name: str = ""
    citizen_name: str = ""  # the proposed citizen's name in the registry ("" if not shown)


class QueuePage(BaseModel):
    items: list[QueueItem]
    total: int
    page: int
    per_page: int


class DecisionIn(BaseModel):
    note: str = Field("", max_length=500)


class CorrectionIn(DecisionIn):
    field: str = Field(max_length=60)
    value: str = Field(max_length=500)


class DecisionOut(_Out):
    id: int
    record_id: int
    action: Literal["accept", "correct", "not_in_province"]
    citizen_pid: str | None
    field: str | None
    old_value: str | None
    new_value: str | None
    note: str
    decided_by: str
    decided_by_name: str
    decided_at: datetime
