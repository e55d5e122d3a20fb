"""The cleaning itself: read the customer list, link it to the registry, write the result.

The list is read as a stream with the linkage readers (``linkage.dataset.open_dataset``,
source type ``bank``: ``ho_ten``, ``so_giay_to``, ``ngay_sinh``... or a mapping), keeping
the normalised fields of each line only (the bank's own values are read again, line by
line, when the result is written). The linkage engine (``linkage.match.link``: by ID
number, then exact, then Splink) gives each line an outcome, which becomes our status:

``matched``      the citizen, and nothing the bank holds differs
``mismatched``   the citizen, but the fields named in ``dancu_mismatched_fields`` differ
``deceased``     the citizen, recorded as deceased
``not_found``    no citizen
``uncertain``    a candidate the engine could not confirm (never reported as matched)
``duplicate``    the same customer as an earlier line
``rejected``     the line could not be read (its problem's code in ``dancu_method``)

Only which fields differ is returned, never the registry's values.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from dancu.common.errors import ValidationFailed
from dancu.exchange.cleaning.schemas import RESULT_COLUMNS
from dancu.exchange.errors import ExchangeErrorCode
from dancu.linkage import match
from dancu.linkage.dataset import open_dataset
from dancu.linkage.readers import read_table
from dancu.linkage.run_inputs import registry_frame

SOURCE_TYPE = "bank"
Progress = Callable[[str, int], None]
_OUTCOME = {
    "synced": "matched",
    "synced_with_differences": "mismatched",
    "probable_match": "uncertain",
    "not_found": "not_found",
    "duplicate_in_source": "duplicate",
}


@dataclass
class Customers:
    """The list's normalised lines (``records``) and the lines it rejected (line -> code)."""

    records: list[dict[str, Any]] = field(default_factory=list)
    rejected: dict[int, str] = field(default_factory=dict)
    lines: int = 0


def read_customers(
    path: Path,
    file_format: str,
    mapping: dict[str, str] | None,
    *,
    max_rows: int,
    progress: Progress | None = None,
) -> Customers:
    """Every line of the list, normalised; ``cleaning.too_many_rows`` past ``max_rows``."""
    stream = open_dataset(path, SOURCE_TYPE, mapping, file_format=file_format)
    out = Customers()
    for chunk, problems in stream.chunks():
        for rec in chunk:
            rec.pop("raw", None)
            rec["record_key"] = f"{rec['line']:012d}"  # unique, and sorts like the lines
            out.records.append(rec)
        out.rejected.update({p.line: p.code for p in problems if p.rejected})
        out.lines = stream.lines
        if out.lines > max_rows:
            raise ValidationFailed(
                f"The list has more than {max_rows} lines; send it in parts",
                code=ExchangeErrorCode.CLEANING_TOO_MANY_ROWS,
                field="file",
            )
        if progress:
            progress("read", out.lines)
    return out


def link(
    customers: Customers, by_pid: list[dict[str, Any]], by_place: list[dict[str, Any]]
) -> dict[int, tuple[str, str, str]]:
    """line -> (status, mismatched fields, method) for every line of the list.

    Lines whose ID number the registry knows are linked against those citizens (the engine
    settles them by the number). The others are linked against the citizens of the
    provinces their addresses name (exact, then probabilistic); a line with neither is not
    found. Splink needs a population to train on: where it cannot train, the lines it
    would have judged are ``uncertain``, never guessed.
    """
    statuses: dict[int, tuple[str, str, str]] = {
        line: ("rejected", "", code) for line, code in customers.rejected.items()
    }
    known = {c["pid"] for c in by_pid}
    with_pid = [r for r in customers.records if r.get("pid") in known]
    placed = [r for r in customers.records if r.get("pid") not in known and r.get("province_code")]
    for rec in customers.records:
        if rec.get("pid") not in known and not rec.get("province_code"):
            statuses[rec["line"]] = ("not_found", "", "")
    statuses.update(_linked(with_pid, by_pid))
    try:
        statuses.update(_linked(placed, [*by_place, *by_pid]))
    except Exception as exc:  # only Splink's "cannot train" is handled: the rest re-raised
        if not _cannot_train(exc):
            raise
        statuses.update({r["line"]: ("uncertain", "", "probabilistic_unavailable") for r in placed})
    return statuses


def _cannot_train(exc: Exception) -> bool:
    """Splink found too few pairs to train on (a small province, a test)."""
    from splink.internals.exceptions import EMTrainingException  # splink loads slowly

    return isinstance(exc, EMTrainingException)


def _linked(
    records: list[dict[str, Any]], citizens: list[dict[str, Any]]
) -> dict[int, tuple[str, str, str]]:
    if not records:
        return {}
    if not citizens:
        return {r["line"]: ("not_found", "", "") for r in records}
    sector = pd.DataFrame(records, columns=[*match.SECTOR_COLUMNS, "name", "line"])
    outcomes = match.link(sector, registry_frame(citizens)).outcomes
    return {int(row["record_key"]): _status(row) for row in outcomes.to_dict("records")}


def _status(row: dict[str, Any]) -> tuple[str, str, str]:
    status = _OUTCOME[row["outcome"]]
    if status in ("matched", "mismatched") and row.get("citizen_status") == "deceased":
        status = "deceased"
    fields = ";".join(sorted(d["field"] for d in (row.get("differences") or [])))
    method = row.get("method") or ""
    return status, fields if status in ("mismatched", "deceased") else "", str(method)


def write_result(
    source: Path, file_format: str, statuses: dict[int, tuple[str, str, str]], target: Path
) -> None:
    """The bank's rows, each with our columns, into ``target`` (written whole, then named:
    a failure leaves nothing)."""
    partial = target.with_name(target.name + ".partial")
    try:
        if file_format == "xlsx":
            _write_xlsx(_rows(source, file_format, statuses), partial)
        else:
            _write_csv(_rows(source, file_format, statuses), partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _rows(
    source: Path, file_format: str, statuses: dict[int, tuple[str, str, str]]
) -> Iterator[list[Any]]:
    table = read_table(source, file_format)
    yield [*table.header, *RESULT_COLUMNS]
    for line, row in table.rows:
        if not any(v not in (None, "") for v in row):
            continue
        yield [*row, *statuses.get(line, ("rejected", "", "row.undecodable"))]


def _write_csv(rows: Iterator[list[Any]], path: Path) -> None:
    with path.open("x", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


def _write_xlsx(rows: Iterator[list[Any]], path: Path) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(row)
    book.save(path)
