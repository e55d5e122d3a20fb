"""The matcher's inputs from what a run reads: stored sector records (``record_key``,
``sector_columns``) and the registry's citizens (``registry_columns`` for a run's columnar
read, ``registry_frame`` for other domains' smaller reads), as ``match.link`` takes them."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dancu.common.textfold import fold
from dancu.linkage import match


def record_key(record_id: int) -> str:
    """The matcher's key of a stored record: its id, zero-padded so that keys sort like ids
    (like lines): of two duplicate lines equally strong, the earlier one is the original."""
    return f"{record_id:012d}"


# the normalized fields the matcher reads from a stored record
SECTOR_FIELDS = (*match.SECTOR_COLUMNS[1:], "name", "province_code", "dedup_key")


def sector_columns(records: pa.Table) -> pa.Table:
    """The matcher's sector input from records' ``id`` and ``normalized`` JSON text
    (``repository.undecided_record_columns``): DuckDB parses the JSON, once a record, into
    text columns; ``record_key`` is :func:`record_key` of the id."""
    spec = json.dumps(dict.fromkeys(SECTOR_FIELDS, "VARCHAR"))
    con = duckdb.connect()
    try:
        con.register("records", records)
        return con.sql(
            "select lpad(cast(id as varchar), 12, '0') as record_key, fields.*"
            f" from (select id, json_transform(normalized, '{spec}') as fields from records)"
        ).to_arrow_table()
    finally:
        con.close()


def registry_columns(citizens: pa.Table) -> pa.Table:
    """The matcher's registry input from the registry's columns
    (``citizen_columns_for_matching``), column by column: names folded and split once per
    distinct name (a million citizens hold a few hundred thousand), the birth year cut from
    the ISO date."""
    names = citizens.column("full_name").combine_chunks().dictionary_encode()
    parts = [_name_parts(n) for n in names.dictionary.to_pylist()]

    def part(i: int) -> pa.Array:
        return pc.take(pa.array([p[i] for p in parts], pa.string()), names.indices)

    births = citizens.column("birth_date")
    return pa.table(
        {
            "pid": citizens.column("pid"),
            "name_folded": part(0),
            "family": part(1),
            "middle": part(2),
            "given": part(3),
            "birth_date": births,
            "birth_year": pc.cast(pc.utf8_slice_codeunits(births, 0, 4), pa.int32()),
            "sex": citizens.column("sex"),
            "commune_code": citizens.column("commune_code"),
            "status": citizens.column("status"),
            "death_date": citizens.column("death_date"),
            "full_name": citizens.column("full_name"),
        }
    )


def _name_parts(full: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """(folded, family, middle, given) of a registry name (valid: the registry's rules
    checked it, so folding and splitting is all the matcher needs)."""
    folded = fold(full) if full else ""
    words = folded.split()
    if len(words) >= 2:
        return folded, words[0], " ".join(words[1:-1]) or None, words[-1]
    return folded or None, None, None, words[0] if words else None


def registry_frame(citizens: list[dict[str, Any]]) -> pd.DataFrame:
    """The matcher's registry frame from ``citizens_for_matching``'s dicts (the smaller
    reads of other domains; a run reads columns: :func:`registry_columns`)."""
    parts = {full: _name_parts(full) for full in {c["full_name"] for c in citizens}}
    names = [parts[c["full_name"]] for c in citizens]
    births = [c["birth_date"] for c in citizens]
    return pd.DataFrame(
        {
            "pid": [c["pid"] for c in citizens],
            "name_folded": [n[0] for n in names],
            "family": [n[1] for n in names],
            "middle": [n[2] for n in names],
            "given": [n[3] for n in names],
            "birth_date": [b.isoformat() for b in births],
            "birth_year": [b.year for b in births],
            "sex": [c["sex"] for c in citizens],
            "commune_code": [c["commune_code"] for c in citizens],
            "status": [c["status"] for c in citizens],
            "death_date": [d.isoformat() if (d := c["death_date"]) else None for c in citizens],
            "full_name": [c["full_name"] for c in citizens],
        },
        columns=[*match.REGISTRY_COLUMNS, "full_name"],
    )
