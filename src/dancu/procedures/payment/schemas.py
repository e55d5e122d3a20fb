"""What a statement import answers: each entry, matched to a dossier or waiting for review."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class EntryOut(BaseModel):
    """One entry of the statement and what became of it (``outcome``: "matched", or the
    code of why an officer must look at it)."""

    model_config = ConfigDict(from_attributes=True)

    line: int
    reference: str | None
    amount: int | None
    credit: bool
    booked_on: date | None
    description: str
    dossier_code: str | None
    outcome: str


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
    """The import's result: the statement, the entries that paid a dossier, and the others
    (kept for review, except duplicates and those of another unit's dossiers)."""

    statement: StatementOut
    matched: list[EntryOut]
    problems: list[EntryOut]
