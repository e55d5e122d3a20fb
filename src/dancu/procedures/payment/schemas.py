"""What a statement import answers: each entry, matched to a dossier or waiting for review."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from dancu.common.bounds import Code, Text

Decision = Literal["apply", "refund", "ignore"]


class EntryOut(BaseModel):
    """One entry of the statement and what became of it (``outcome``: "matched", or the
    code of why an officer must look at it), and the officer's decision once taken.
    ``id`` is what ``/entries/{id}/resolve`` takes (none for an entry not kept: a
    duplicate, or another unit's)."""

    model_config = ConfigDict(from_attributes=True)

    id: int | None = None
    line: int
    reference: str | None
    amount: int | None
    credit: bool
    booked_on: date | None
    description: str
    dossier_code: str | None
    outcome: str
    decision: Decision | None = None
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    refund_reference: str | None = None
    applied_to: str | None = None


class ResolveIn(BaseModel):
    """An officer's decision on an entry under review: ``apply`` it to the dossier
    ``dossier_code`` (its fee, exactly), ``refund`` it to the payer (``refund_reference``: the
    bank's reference of the refund, if known), or ``ignore`` it (not the fees' money);
    always with a reason."""

    decision: Decision
    reason: Text
    dossier_code: Code | None = None
    refund_reference: Code | None = None


class StatementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: str
    statement_id: str
    account: str
    entries: int
    matched: int
    imported_at: datetime


class ImportOut(BaseModel):
    """The import's result: the statements of the message (``statement`` is the first),
    how many entries they hold, the entries that paid a dossier, and the others (kept for
    review, except duplicates and those of another unit's dossiers)."""

    statement: StatementOut
    statements: list[StatementOut]
    entries: int
    matched: list[EntryOut]
    problems: list[EntryOut]
