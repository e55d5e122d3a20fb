"""A cleaning job as the bank sees it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

# Our columns, appended to each of the bank's rows in the result file.
RESULT_COLUMNS = ("dancu_status", "dancu_mismatched_fields", "dancu_method")
# dancu_status values
STATUSES = ("matched", "mismatched", "not_found", "deceased", "uncertain", "duplicate", "rejected")


class CleaningJobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    step: str
    file_name: str
    lines: int
    counts: dict[str, int]
    error_code: str | None = None
    error_field: str | None = None
    error: str | None = None
    requested_at: datetime
    finished_at: datetime | None = None
    result_ready: bool = False
