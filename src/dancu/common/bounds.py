"""Bounded input types, declared once for every domain's routes and schemas.

An integer the database cannot hold (a BIGINT ends at 2**63 - 1) or a page whose offset
passes it made the driver raise ``OverflowError``: a 500. A text longer than SQLite's
``LIKE`` pattern limit did the same. Every id, page number and text a route or an ``*In``
schema accepts is one of these types, so an out-of-range value answers 422 naming the
field and the rule (``web/errors.py``) before any query runs; services that page check
the same bound with ``page_offset`` for their other callers (CLI, jobs).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from dancu.common.errors import ErrorCode, ValidationFailed

__all__ = [
    "MAX_CODE",
    "MAX_ID",
    "MAX_PAGE",
    "MAX_SEARCH_NAME",
    "MAX_TEXT",
    "Code",
    "Id",
    "PageNo",
    "SearchName",
    "Text",
    "no_control_characters",
    "page_offset",
]

MAX_ID = 2**63 - 1  # the largest BIGINT (PostgreSQL) and INTEGER (SQLite)
MAX_PAGE = 10**9  # with at most 1,000 rows a page the offset stays far below MAX_ID
MAX_SEARCH_NAME = 120  # as long as a stored full name (registry.schemas.CitizenIn)
MAX_CODE = 64  # a code or short key typed in a URL: commune, purpose, PID, source type
MAX_TEXT = 500  # a note or a reason

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def no_control_characters(value: str) -> str:
    """Refuse NUL and the other control characters (tab and line breaks are text)."""
    if _CONTROL.search(value):
        raise PydanticCustomError("control_character", "Text must not contain control characters")
    return value


_Clean = AfterValidator(no_control_characters)

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A row id in a path, a query or a body."""

PageNo = Annotated[int, Field(ge=1, le=MAX_PAGE)]
"""A page number, from 1."""

SearchName = Annotated[str, StringConstraints(max_length=MAX_SEARCH_NAME), _Clean]
"""A name typed into a search."""

Code = Annotated[str, StringConstraints(max_length=MAX_CODE), _Clean]
"""A code or short key: commune, purpose, PID, a date as typed."""

Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), _Clean]
"""Free text: a note, a reason."""


def page_offset(page: int, per_page: int, max_per_page: int, *, field: str = "page") -> int:
    """The row offset of ``page``, refused (``paging.invalid``) when a bound is broken."""
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= max_per_page:
        raise ValidationFailed(
            f"1 <= page <= {MAX_PAGE} and 1 <= per_page <= {max_per_page}",
            code=ErrorCode.PAGING_INVALID,
            field=field,
        )
    return (page - 1) * per_page
