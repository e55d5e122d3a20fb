"""Bulk reads into Arrow columns: ``COPY ... TO STDOUT`` on PostgreSQL, rows on SQLite."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dancu.common import bulk_read
from dancu.registry.models import Citizen
from tests.registry.factories import person

SCHEMA = pa.schema([("pid", pa.string()), ("full_name", pa.string()), ("birth_date", pa.string())])
TEXT = pa.schema([("full_name", pa.string()), ("temp_address_detail", pa.string())])
NAMES = ("Ái Bình", "Ân Cường", "Ấn Dũng", "Ầu Em")


def _stmt(*columns: Any) -> Select[Any]:
    return select(*columns).where(Citizen.full_name.in_(NAMES)).order_by(Citizen.full_name)


def test_columns_hold_the_sessions_unflushed_rows_dates_in_iso_form(session: Session) -> None:
    a = person(session, NAMES[0], birth_date=date(1990, 1, 2))
    b = person(session, NAMES[1], birth_date=date(1985, 12, 31))
    table = bulk_read.read_table(
        session, _stmt(Citizen.pid, Citizen.full_name, Citizen.birth_date), SCHEMA
    )
    assert table.schema == SCHEMA
    assert table.to_pylist() == [
        {"pid": a.pid, "full_name": NAMES[0], "birth_date": "1990-01-02"},
        {"pid": b.pid, "full_name": NAMES[1], "birth_date": "1985-12-31"},
    ]


def test_null_empty_and_awkward_text_survive(session: Session) -> None:
    values = [None, "", 'số 5, "ngõ" 7', "dòng 1\ndòng 2\ttab \\ gạch"]
    for name, value in zip(NAMES, values, strict=True):
        person(session, name).temp_address_detail = value
    session.flush()
    table = bulk_read.read_table(
        session, _stmt(Citizen.full_name, Citizen.temp_address_detail), TEXT
    )
    assert table.column("temp_address_detail").to_pylist() == values


def test_no_rows_give_an_empty_table_of_the_schema(session: Session) -> None:
    table = bulk_read.read_table(
        session, _stmt(Citizen.pid, Citizen.full_name, Citizen.birth_date), SCHEMA
    )
    assert (table.num_rows, table.schema) == (0, SCHEMA)
