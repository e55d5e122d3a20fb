"""Bulk reads as Arrow columns: ``COPY (SELECT ...) TO STDOUT`` on PostgreSQL, the same
statement's rows on SQLite.

The million-row reads (a province's citizens for matching, a dataset's records) want
columns, not a Python object per row and value: on PostgreSQL the statement's rows stream
out of ``COPY`` in CSV, and Arrow's C++ reader parses them into columns (on several
threads); the only Python per row is appending the received line to a buffer. SQLite, the
embedded default for small data, runs the same statement and builds the columns from its
rows. Both run in the caller's session, so they see its uncommitted writes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Select
from sqlalchemy.orm import Session

from dancu.db import is_postgres

__all__ = ["read_table"]


def read_table(session: Session, stmt: Select[Any], schema: pa.Schema) -> pa.Table:
    """The rows of ``stmt`` as a table with ``schema`` (one field per selected column, in
    order). Text fields get dates and numbers in their ISO / decimal text form."""
    if is_postgres(session):
        return _copy_out(session, stmt, schema)
    return _from_rows(session, stmt, schema)


def _copy_out(session: Session, stmt: Select[Any], schema: pa.Schema) -> pa.Table:
    compiled = stmt.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    dbapi = session.connection().connection.driver_connection
    buffer = bytearray()
    query = f"COPY ({compiled}) TO STDOUT (FORMAT csv)"
    with dbapi.cursor() as cursor, cursor.copy(query, compiled.params) as copy:  # type: ignore[union-attr]
        for data in copy:
            buffer += data
    if not buffer:
        return schema.empty_table()
    return pacsv.read_csv(
        pa.py_buffer(buffer),
        read_options=pacsv.ReadOptions(column_names=schema.names),
        # NULL is an empty unquoted field; an empty string is quoted ("")
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )


def _from_rows(session: Session, stmt: Select[Any], schema: pa.Schema) -> pa.Table:
    rows = session.execute(stmt).all()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema.names]
    arrays = [
        pa.array(
            [_text(v) for v in values] if pa.types.is_string(field.type) else list(values),
            type=field.type,
        )
        for field, values in zip(schema, columns, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)
