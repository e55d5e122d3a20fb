"""Bulk import of citizens from CSV or Parquet (``dancu registry import FILE``).

Rows are validated one by one with the registry's rules; an invalid row is reported with
its line and reason and skipped, the valid rows are written with ``COPY`` on PostgreSQL in
one transaction. Duplicate ID numbers (within the file or already registered) are invalid
rows like any other.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor, Permission
from dancu.common.errors import DancuError, ValidationFailed
from dancu.common.textfold import fold
from dancu.db import utcnow
from dancu.registry import bulk
from dancu.registry import validation as rules
from dancu.registry.models import Citizen

REQUIRED = ("pid", "full_name", "birth_date", "sex", "commune_code")
OPTIONAL = {
    "ethnicity": "Kinh", "religion": "Không", "nationality": "VN", "place_of_birth": "",
    "hometown": "", "address_detail": "",
}  # fmt: skip
COPY_COLUMNS = (
    "pid", "full_name", "name_folded", "birth_date", "sex", "ethnicity", "religion",
    "nationality", "place_of_birth", "hometown", "province_code", "commune_code",
    "address_detail", "status", "marital_status", "created_at", "updated_at",
)  # fmt: skip
BATCH = 20_000


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str | None
    code: str
    message: str


@dataclass(slots=True)
class ImportReport:
    read: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.errors)


class ImportFileError(ValidationFailed):
    """The file itself cannot be read (format, encoding, missing columns)."""


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs; line numbers count the header as line 1."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    raise ImportFileError(
        f"Unsupported file type {suffix!r}: use .csv or .parquet",
        code="import.format",
        field="file",
    )


def _check_columns(columns: list[str]) -> None:
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ImportFileError(
            f"Missing required columns: {', '.join(missing)}", code="import.columns",
            field="file", missing=",".join(missing),
        )  # fmt: skip


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    handle = path.open(encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(handle)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise ImportFileError("The file is empty", code="import.empty", field="file") from None
        _check_columns(header)
        width = len(header)
        for line, values in enumerate(reader, start=2):
            if not values or values == [""]:
                continue
            if len(values) != width:
                yield line, {"__error__": f"expected {width} values, found {len(values)}"}
                continue
            yield line, dict(zip(header, values, strict=True))
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file is not UTF-8 text ({exc.reason} near byte {exc.start})",
            code="import.encoding", field="file",
        ) from exc  # fmt: skip
    except csv.Error as exc:
        raise ImportFileError(f"Malformed CSV: {exc}", code="import.csv", field="file") from exc
    finally:
        handle.close()


def _read_parquet(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow.lib
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pyarrow.lib.ArrowInvalid, OSError) as exc:
        raise ImportFileError(
            f"Not a Parquet file: {exc}", code="import.parquet", field="file"
        ) from exc
    _check_columns(parquet.schema_arrow.names)
    line = 1
    for batch in parquet.iter_batches(batch_size=BATCH):
        for row in batch.to_pylist():
            line += 1
            yield line, row


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if "/" in text:
        day, month, year = (int(p) for p in text.split("/"))
        return date(year, month, day)
    return date.fromisoformat(text)


def validate_row(row: dict[str, Any], today: date) -> tuple[Any, ...]:
    """The COPY tuple for a valid row; raises ValidationFailed naming the field."""
    if "__error__" in row:
        raise ValidationFailed(row["__error__"], code="import.row_shape", field=None)
    try:
        birth = _as_date(row.get("birth_date"))
    except ValueError as exc:
        raise ValidationFailed(
            "birth_date is not a date (yyyy-mm-dd or dd/mm/yyyy)", code="birth_date.invalid",
            field="birth_date",
        ) from exc  # fmt: skip
    rules.valid_birth_date(birth, today)
    sex = rules.valid_sex(str(row.get("sex") or "").strip().upper())
    pid = rules.valid_pid(str(row.get("pid") or ""), birth_date=birth, sex=sex)
    commune = rules.valid_commune(str(row.get("commune_code") or "").strip())
    name = rules.valid_name(str(row.get("full_name") or ""))
    extra = [str(row.get(k) or default).strip() for k, default in OPTIONAL.items()]
    now = utcnow()
    return (
        pid, name, fold(name), birth, sex, *extra[:5], commune.province_code, commune.code,
        extra[5], "alive", "single", now, now,
    )  # fmt: skip


def import_citizens(
    session: Session,
    path: Path,
    *,
    actor: Actor,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the file's valid rows in the caller's transaction; report the others."""
    actor.require(Permission.REGISTRY_IMPORT)
    today = today or date.today()
    report = ImportReport()
    seen: set[str] = set()
    pending: list[tuple[int, tuple[Any, ...]]] = []
    for line, row in read_rows(path):
        report.read += 1
        try:
            values = validate_row(row, today)
        except DancuError as exc:
            report.errors.append(RowError(line, exc.field, exc.code, exc.message))
            continue
        if values[0] in seen:
            report.errors.append(
                RowError(line, "pid", "pid.duplicate", "ID number repeated in the file")
            )
            continue
        seen.add(values[0])
        pending.append((line, values))
        if len(pending) >= BATCH:
            report.imported += _write_batch(session, pending, report)
            pending = []
            if progress:
                progress(report.read)
    report.imported += _write_batch(session, pending, report)
    if progress:
        progress(report.read)
    audit.record(
        session, actor, action="registry.import", subject_type="import", subject_id=path.name[:64],
        purpose="data_maintenance", fields=(f"rows:{report.imported}",),
    )  # fmt: skip
    report.errors.sort(key=lambda e: e.line)
    return report


def _write_batch(
    session: Session, pending: list[tuple[int, tuple[Any, ...]]], report: ImportReport
) -> int:
    """COPY one batch, after dropping ID numbers that are already registered."""
    if not pending:
        return 0
    pids = [values[0] for _, values in pending]
    existing = set(session.scalars(select(Citizen.pid).where(Citizen.pid.in_(pids))))
    rows = []
    for line, values in pending:
        if values[0] in existing:
            report.errors.append(
                RowError(line, "pid", "pid.duplicate", "ID number already registered")
            )
        else:
            rows.append(values)
    return bulk.copy_rows(session, Citizen.__table__, COPY_COLUMNS, rows)  # type: ignore[arg-type]
