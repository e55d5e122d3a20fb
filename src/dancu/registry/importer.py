"""Bulk import of citizens from CSV or Parquet (``dancu registry import FILE``).

Rows are validated one by one with the registry's rules; an invalid row is reported with
its line and reason and skipped, the valid rows are written with ``COPY`` on PostgreSQL in
one transaction. Duplicate ID numbers (within the file or already registered) are invalid
rows like any other.

Speed (a million rows is the expected size): ``validate_row`` is the reference; the
``_Checker`` fast path accepts a row only when it is certain ``validate_row`` would accept it
with the same values, using per-import caches of parsed dates, normalized names and
communes, and hands every other row to ``validate_row`` for the exact error. On PostgreSQL
the valid rows go out as preformatted ``COPY`` text lines; when the registry is empty at the
start (a first load) they stream in one ``COPY`` while Python validates the next rows, as
there is nothing to check them against; otherwise each batch's ID numbers are first looked
up among the registered ones.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit, bulk
from dancu.common.access import Actor, Permission
from dancu.common.errors import DancuError, ValidationFailed
from dancu.common.pid import valid_province_codes
from dancu.common.textfold import fold
from dancu.db import is_postgres, utcnow
from dancu.registry import validation as rules
from dancu.registry.errors import RegistryErrorCode
from dancu.registry.import_files import (
    REQUIRED,
    Record,
    as_dict,
    read_records,
)
from dancu.registry.models import Citizen

OPTIONAL = {
    "ethnicity": "Kinh",
    "religion": "Không",
    "nationality": "VN",
    "place_of_birth": "",
    "hometown": "",
    "address_detail": "",
}
TEXT_LIMITS = {
    "ethnicity": 40,
    "religion": 40,
    "place_of_birth": 200,
    "hometown": 200,
    "address_detail": 200,
}
COPY_COLUMNS = (
    "pid",
    "full_name",
    "name_folded",
    "birth_date",
    "sex",
    "ethnicity",
    "religion",
    "nationality",
    "place_of_birth",
    "hometown",
    "province_code",
    "commune_code",
    "address_detail",
    "status",
    "marital_status",
    "created_at",
    "updated_at",
)
BATCH = 20_000  # rows read between progress reports; rows per COPY when checking existing IDs
_CACHE_LIMIT = 500_000  # entries per cache before it is emptied (bounds memory on huge files)


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


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def validate_row(
    row: dict[str, Any], today: date, *, now: datetime | None = None
) -> tuple[Any, ...]:
    """The COPY tuple for a valid row; raises ValidationFailed naming the field."""
    if "__error__" in row:
        raise ValidationFailed(
            row["__error__"], code=RegistryErrorCode.IMPORT_ROW_SHAPE, field=None
        )
    try:
        birth = _as_date(row.get("birth_date"))
    except ValueError as exc:
        raise ValidationFailed(
            "birth_date is not a date (yyyy-mm-dd or dd/mm/yyyy)",
            code=RegistryErrorCode.BIRTH_DATE_INVALID,
            field="birth_date",
        ) from exc
    rules.valid_birth_date(birth, today)
    sex = rules.valid_sex(str(row.get("sex") or "").strip().upper())
    pid = rules.valid_pid(str(row.get("pid") or ""), birth_date=birth, sex=sex)
    commune = rules.valid_commune(str(row.get("commune_code") or "").strip())
    name = rules.valid_name(str(row.get("full_name") or ""))
    extra = [_nfc(str(row.get(k) or default)).strip() for k, default in OPTIONAL.items()]
    for key, value in zip(OPTIONAL, extra, strict=True):
        if key == "nationality":
            rules.valid_nationality(value)
        else:
            rules.valid_text(value, key, TEXT_LIMITS[key])
    now = now or utcnow()
    return (
        pid,
        name,
        fold(name),
        birth,
        sex,
        *extra[:5],
        commune.province_code,
        commune.code,
        extra[5],
        "alive",
        "single",
        now,
        now,
    )


def _is_nfc(text: str) -> bool:
    return text.isascii() or unicodedata.is_normalized("NFC", text)


class _Checker:
    """``validate_row`` for a list of values, with a fast path for the common valid row.

    The fast path only accepts; anything it is unsure of (another date format, spaces in
    the ID number, lowercase sex, an unknown commune, an invalid name...) goes through
    ``validate_row``, which raises the row's error or returns its values.
    """

    def __init__(self, header: list[str], today: date, now: datetime) -> None:
        index = {name: i for i, name in enumerate(header)}
        self.header, self.width, self.today, self.now = header, len(header), today, now
        self.required = itemgetter(*(index[c] for c in REQUIRED))
        at = [index.get(k) for k in OPTIONAL]
        self.optional: Callable[[Sequence[Any]], tuple[Any, ...]] = (
            itemgetter(*at)  # type: ignore[arg-type]
            if None not in at
            else lambda values: tuple(None if i is None else values[i] for i in at)
        )
        self.defaults = tuple(OPTIONAL.values())
        self.provinces = valid_province_codes()
        self.this_year = date.today().year  # parse_pid checks birth years against today
        self.dates: dict[Any, tuple[date, str, str]] = {}  # raw -> (date, PID[3:6] if M, if F)
        self.names: dict[str, tuple[str, str]] = {}  # raw -> (normalized, folded)
        self.communes: dict[Any, tuple[str, str]] = {}  # raw -> (province, commune)
        self.nationalities = {"VN"}  # grows with the codes validate_row has accepted

    def check(self, values: Sequence[Any]) -> tuple[Any, ...]:
        if len(values) != self.width:
            return self.slow(values)
        try:
            return self._fast(values)
        except (TypeError, AttributeError):  # a value that is not text (Parquet): the slow way
            return self.slow(values)

    def _fast(self, values: Sequence[Any]) -> tuple[Any, ...]:
        pid, name, birth_raw, sex, commune = self.required(values)
        birth = self.dates.get(birth_raw) or self._date(birth_raw)
        place = self.communes.get(commune) or self._commune(commune)
        names = self.names.get(name) or self._name(name)
        if (
            birth is None
            or place is None
            or names is None
            or (sex != "M" and sex != "F")
            or len(pid) != 12
            or not pid.isdigit()
            or not pid.isascii()
            or pid[:3] not in self.provinces
            or pid[3:6] != birth[1 if sex == "M" else 2]
        ):
            return self.slow(values)
        eth, rel, nat, born, home, addr = self.optional(values)
        d = self.defaults  # str(value or default).strip(), for text (else AttributeError)
        eth, rel, nat = (eth or d[0]).strip(), (rel or d[1]).strip(), (nat or d[2]).strip()
        born, home, addr = (born or d[3]).strip(), (home or d[4]).strip(), (addr or d[5]).strip()
        if (
            len(eth) > 40
            or len(rel) > 40
            or len(born) > 200
            or len(home) > 200
            or len(addr) > 200
            or nat not in self.nationalities
            or not all(_is_nfc(t) for t in (eth, rel, born, home, addr))  # NFD: stored as NFC
        ):
            return self.slow(values)
        now = self.now
        return (
            pid,
            names[0],
            names[1],
            birth[0],
            sex,
            eth,
            rel,
            nat,
            born,
            home,
            place[0],
            place[1],
            addr,
            "alive",
            "single",
            now,
            now,
        )

    def slow(self, values: Sequence[Any]) -> tuple[Any, ...]:
        row = as_dict(self.header, values, self.width)
        valid = validate_row(row, self.today, now=self.now)
        self.nationalities.add(valid[7])
        return valid

    def _date(self, raw: Any) -> tuple[date, str, str] | None:
        try:
            birth = _as_date(raw)
            rules.valid_birth_date(birth, self.today)
        except (ValueError, TypeError, DancuError):
            return None
        year = birth.year
        if not 1900 <= year <= min(2399, self.this_year):
            return None  # no PID can match: let validate_row say why
        digit, yy = (year // 100 - 19) * 2, f"{year % 100:02d}"
        entry = (birth, f"{digit}{yy}", f"{digit + 1}{yy}")
        _remember(self.dates, raw, entry)
        return entry

    def _name(self, raw: Any) -> tuple[str, str] | None:
        if type(raw) is not str:
            return None
        try:
            name = rules.valid_name(raw)
        except DancuError:
            return None
        entry = (name, fold(name))
        _remember(self.names, raw, entry)
        return entry

    def _commune(self, raw: Any) -> tuple[str, str] | None:
        if type(raw) is not str:
            return None
        unit = adminunits.find_commune(raw.strip())
        if unit is None:
            return None
        entry = (unit.province_code, unit.code)
        _remember(self.communes, raw, entry)
        return entry


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


ANALYZE_AFTER = 10_000  # rows: a smaller import leaves the statistics to autovacuum


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
    report = ImportReport()
    now = utcnow()
    rows = _valid_rows(path, today or date.today(), now, report, progress)
    if is_postgres(session) and _registry_is_empty(session):
        report.imported = bulk.copy_text(
            session,
            Citizen.__table__,
            COPY_COLUMNS,
            _text_lines(rows, now),  # type: ignore[arg-type]
        )
    else:
        while batch := list(islice(rows, BATCH)):
            report.imported += _write_batch(session, batch, report, now)
    if report.imported >= ANALYZE_AFTER:
        bulk.analyze(session, Citizen.__table__)  # type: ignore[arg-type]
    audit.record(
        session,
        actor,
        action="registry.import",
        subject_type="import",
        subject_id=path.name[:64],
        purpose="data_maintenance",
        fields=(f"rows:{report.imported}",),
    )
    report.errors.sort(key=lambda e: e.line)
    return report


def _registry_is_empty(session: Session) -> bool:
    return not session.scalar(select(exists().select_from(Citizen)))


def _valid_rows(
    path: Path,
    today: date,
    now: datetime,
    report: ImportReport,
    progress: Callable[[int], None] | None,
) -> Iterator[Record]:
    """(line, COPY tuple) of each valid row with a PID new in the file; errors to ``report``."""
    header, records = read_records(path)
    check = _Checker(header, today, now).check
    seen: set[str] = set()
    errors = report.errors
    read = 0
    for line, values in records:
        read += 1
        if progress and read % BATCH == 0:
            report.read = read
            progress(read)
        try:
            row = check(values)
        except DancuError as exc:
            errors.append(RowError(line, exc.field, exc.code, exc.message))
            continue
        pid = row[0]
        if pid in seen:
            errors.append(RowError(line, "pid", "pid.duplicate", "ID number repeated in the file"))
            continue
        seen.add(pid)
        yield line, row
    report.read = read
    if progress:
        progress(read)


def _text_lines(rows: Iterator[Record], now: datetime) -> Iterator[str]:
    """COPY text lines; fields are tab-free (names are re-spaced, the rest checked here)."""
    stamp = now.isoformat()
    for _, r in rows:
        line = (
            f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]}\t{r[6]}\t{r[7]}\t{r[8]}\t{r[9]}"
            f"\t{r[10]}\t{r[11]}\t{r[12]}\t{r[13]}\t{r[14]}\t{stamp}\t{stamp}\n"
        )
        if line.count("\t") != 16 or line.count("\n") != 1 or "\\" in line or "\r" in line:
            line = bulk.text_line(r)
        yield line


def _write_batch(session: Session, batch: list[Record], report: ImportReport, now: datetime) -> int:
    """COPY one batch, after dropping ID numbers that are already registered."""
    pids = [row[0] for _, row in batch]
    existing = set(session.scalars(select(Citizen.pid).where(Citizen.pid.in_(pids))))
    if existing:
        for line, row in batch:
            if row[0] in existing:
                report.errors.append(
                    RowError(line, "pid", "pid.duplicate", "ID number already registered")
                )
        batch = [(line, row) for line, row in batch if row[0] not in existing]
    table = Citizen.__table__
    if is_postgres(session):
        return bulk.copy_text(session, table, COPY_COLUMNS, _text_lines(iter(batch), now))  # type: ignore[arg-type]
    return bulk.copy_rows(session, table, COPY_COLUMNS, (row for _, row in batch))  # type: ignore[arg-type]
