"""Reading a sector dataset (CSV, XLSX, Parquet) into normalised records and problems.

``read_dataset`` reads the file (``readers.py``), maps its columns to our fields (a saved
or default mapping per source type, ``mappings.py``), normalises every row with
:mod:`dancu.linkage.normalize` and reports every problem by line and reason. Nothing is
dropped silently: each data line ends up either as a record or as a *rejected* problem, so
``len(records) + rejected == lines``. Problems that do not reject the row (an invalid ID
number, a swapped day and month, an old address) are reported too and the record is kept
(it can still be matched on name and birth date).

Fatal problems (an empty file, a mapping that names a column the file does not have, an
unknown format or source type) raise :class:`dancu.common.errors.ValidationFailed` with the
codes ``linkage.empty_file``, ``linkage.missing_column``, ``linkage.bad_format``,
``linkage.unknown_source_type`` and ``linkage.unknown_field``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from dancu.common.errors import ValidationFailed
from dancu.linkage import mappings
from dancu.linkage import normalize as norm
from dancu.linkage.errors import LinkageErrorCode
from dancu.linkage.mappings import SourceType, resolve_mapping
from dancu.linkage.readers import Rows, read_table

__all__ = ["RECORD_COLUMNS", "Dataset", "DatasetStream", "Problem", "open_dataset", "read_dataset"]

Progress = Callable[[str, int, int], None]
CHUNK = 5000  # lines read, normalised and handed on at a time
NAME_MAX = 200  # the longest name a record keeps (``linkage_record.full_name``)

# Columns of Dataset.records (the sector input of dancu.linkage.match.link).
RECORD_COLUMNS: tuple[str, ...] = (
    "record_key",
    "line",
    "pid",
    "id_kind",
    "id_number",
    "name",
    "name_folded",
    "family",
    "middle",
    "given",
    "birth_date",
    "birth_precision",
    "birth_year",
    "sex",
    "province_code",
    "commune_code",
    "address_legacy",
    "phone",
    "dedup_key",
    "raw",
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem met in the file: ``line`` (CSV/XLSX line with the header on line 1;
    Parquet: 1-based row number plus one), our ``field`` (or None for the whole row), the
    ``code`` (a normalize.py or ``row.*`` code), the offending ``value`` and whether the row
    was ``rejected`` (not in the records) or kept."""

    line: int
    field: str | None
    code: str
    value: str | None = None
    rejected: bool = False


@dataclass
class Dataset:
    """Normalised records (columns :data:`RECORD_COLUMNS`), problems and how it was read."""

    records: pd.DataFrame
    problems: list[Problem]
    encoding: str  # "utf-8", "utf-8-sig", "cp1258", "unknown", "xlsx" or "parquet"
    lines: int  # data lines read (header excluded)
    columns: list[str] = field(default_factory=list)  # header of the file

    @property
    def rejected(self) -> int:
        return sum(1 for p in self.problems if p.rejected)


def read_dataset(
    source: str | Path | bytes,
    source_type: str,
    mapping: Mapping[str, str] | None = None,
    *,
    file_format: str | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> Dataset:
    """Read ``source`` (a path, or the bytes of an upload with ``file_format`` given) whole.

    ``mapping`` is our field -> the file's column; fields it leaves out fall back to the
    source type's default mapping *only if* that column exists; a column named in
    ``mapping`` that the file lacks is fatal (``linkage.missing_column``, naming the column
    and listing the columns found). ``file_format`` is "csv", "xlsx" or "parquet" (default:
    from the file name). ``progress(step, done, total)`` is called every 5,000 rows.
    For a file too large to hold, use :func:`open_dataset` and read it chunk by chunk.
    """
    stream = open_dataset(
        source, source_type, mapping, file_format=file_format, today=today, progress=progress
    )
    records: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for chunk, met in stream.chunks():
        records += chunk
        problems += met
    frame = pd.DataFrame(records, columns=list(RECORD_COLUMNS))
    return Dataset(frame, problems, stream.encoding, stream.lines, stream.columns)


@dataclass
class DatasetStream:
    """A dataset being read: the file's ``columns`` and ``encoding`` at once, its records and
    problems chunk by chunk from :meth:`chunks`, and the counts once that is exhausted."""

    columns: list[str]
    encoding: str
    _reader: _RowReader
    _rows: Rows
    _progress: Progress | None

    @property
    def lines(self) -> int:
        return self._reader.lines

    @property
    def rejected(self) -> int:
        return self._reader.rejected

    def chunks(self, size: int = CHUNK) -> Iterator[tuple[list[dict[str, Any]], list[Problem]]]:
        """(records, problems) of about ``size`` lines at a time; raises
        ``linkage.empty_file`` at the end if there was no data line."""
        return self._reader.chunks(self._rows, self.encoding, self._progress, size)


def open_dataset(
    source: str | Path | bytes,
    source_type: str,
    mapping: Mapping[str, str] | None = None,
    *,
    file_format: str | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> DatasetStream:
    """Open ``source`` for reading in chunks (arguments as :func:`read_dataset`). The
    header, the mapping and the file's format are checked here; the rows as they are read."""
    kind = mappings.source_type(source_type)
    data: bytes | Path = source if isinstance(source, bytes) else Path(source)
    if file_format is None and isinstance(data, Path):
        file_format = data.suffix.lstrip(".")
    if _blank(data):
        raise ValidationFailed("the file is empty", code=LinkageErrorCode.EMPTY_FILE, field="file")
    table = read_table(data, file_format or "")
    problems = [Problem(line, None, "row.undecodable", None, True) for line in table.undecodable]
    columns = resolve_mapping(table.header, kind, mapping)
    reader = _RowReader(table.header, columns, kind, problems, today)
    return DatasetStream(table.header, table.encoding, reader, table.rows, progress)


def _blank(data: bytes | Path) -> bool:
    """Whether the file holds nothing but white space (read until the first other byte)."""
    if isinstance(data, bytes):
        return not data.strip()
    with data.open("rb") as f:
        while block := f.read(1 << 16):
            if block.strip():
                return False
    return True


def _cell(value: Any) -> Any:
    """A cell as its writer meant it: NFC (text typed on a Mac is often NFD), without the
    apostrophe a spreadsheet puts before digits to keep them text (``'001085012345``)."""
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFC", value).strip()
    return text[1:].lstrip() if text.startswith("'") else text


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    text = str(value).strip()
    return text or None


class _RowReader:
    """Rows -> records, with the problems of each row and the duplicate-key rule of the type."""

    def __init__(
        self,
        header: list[str],
        columns: dict[str, int],
        kind: SourceType,
        problems: list[Problem],
        today: date | None,
    ) -> None:
        self.header, self.columns, self.kind = header, columns, kind
        self.problems, self.today = problems, today
        self.lines = len(problems)  # undecodable lines were data lines
        self.rejected = len(problems)
        # What identifies a record (repeated lines) and the record keys given out, as
        # 16-byte digests: about 100 bytes a line, the only memory that grows with the file.
        self.seen: set[bytes] = set()
        self.keys: set[bytes] = set()

    def chunks(
        self, rows: Rows, encoding: str, progress: Progress | None, size: int
    ) -> Iterator[tuple[list[dict[str, Any]], list[Problem]]]:
        out: list[dict[str, Any]] = []
        width = len(self.header)
        start = self.lines
        for line, row in rows:
            row = [_cell(v) for v in row]
            if not any(_text(v) for v in row):
                continue  # blank line: not data
            self.lines += 1
            if progress and self.lines % 5000 == 0:
                progress("read", self.lines, 0)
            if len(row) != width and encoding not in ("xlsx", "parquet"):
                self._reject(
                    Problem(
                        line, None, "row.bad_width", f"{len(row)} fields, {width} expected", True
                    )
                )
            else:
                rec = _record(line, row, self.header, self.columns, self.problems, self.today)
                if rec is None:
                    self.rejected += 1
                else:
                    out.append(self._keyed(line, row, rec))
            if self.lines - start >= size:
                yield out, self._take_problems()
                out, start = [], self.lines
        if self.lines == 0:
            raise ValidationFailed(
                "the file has no data rows", code=LinkageErrorCode.EMPTY_FILE, field="file"
            )
        yield out, self._take_problems()

    def _reject(self, problem: Problem) -> None:
        self.problems.append(problem)
        self.rejected += 1

    def _take_problems(self) -> list[Problem]:
        taken, self.problems = self.problems, []
        return taken

    def _get(self, row: list[Any], name: str) -> str | None:
        i = self.columns.get(name)
        return _text(row[i]) if i is not None and i < len(row) else None

    def _keyed(self, line: int, row: list[Any], rec: dict[str, Any]) -> dict[str, Any]:
        """Unique ``record_key``; ``row.duplicate_key`` for a line that repeats a record
        (its key, and for types whose records are per person too, its person); the
        ``dedup_key`` the matcher groups duplicates by (None: the person alone)."""
        key = rec["record_key"]
        identity = self.kind.record_identity
        values = tuple(self._get(row, f) for f in identity)
        rec["dedup_key"] = "\x1f".join(v or "" for v in values) if any(values) else None
        same = (key, rec["name_folded"], rec["birth_date"]) if "record_key" in identity else (key,)
        seen = _digest(same)
        if seen in self.seen:
            self.problems.append(Problem(line, "record_key", "row.duplicate_key", key))
        self.seen.add(seen)
        if _digest(key) in self.keys:
            rec["record_key"] = key = f"{key}@{line}"
        self.keys.add(_digest(key))
        return rec


def _digest(value: Any) -> bytes:
    return hashlib.blake2b(repr(value).encode(), digest_size=16).digest()


def _record(
    line: int,
    row: list[Any],
    header: list[str],
    columns: dict[str, int],
    problems: list[Problem],
    today: date | None,
) -> dict[str, Any] | None:
    def get(name: str) -> Any:
        i = columns.get(name)
        return row[i] if i is not None and i < len(row) else None

    def report(name: str, code: str | None, value: Any) -> None:
        if code is not None and not code.endswith(".missing"):
            problems.append(Problem(line, name, code, _text(value)))

    name_raw = get("full_name")
    name = norm.normalize_name(name_raw)
    if name.value is None:
        problems.append(Problem(line, "full_name", name.problem or "name.missing", None, True))
        return None
    if len(name.value.display) > NAME_MAX:  # no person's name: a column shifted, or junk
        value = name.value.display[:60] + "…"
        problems.append(Problem(line, "full_name", "name.too_long", value, True))
        return None
    report("full_name", name.problem, name_raw)

    id_raw = get("id_number")
    ident = norm.normalize_id_number(id_raw)
    if "id_number" in columns:
        report("id_number", ident.problem, id_raw)
    birth_raw = get("birth_date")
    birth = norm.normalize_date(birth_raw, today=today)
    if "birth_date" in columns:
        report("birth_date", birth.problem, birth_raw)
    sex_raw = get("sex")
    sex = norm.normalize_sex(sex_raw)
    if "sex" in columns:
        report("sex", sex.problem, sex_raw)
    commune_code = province_code = None
    legacy = False
    code_raw = _text(get("commune_code"))
    addr_raw = get("address")
    if code_raw:
        addr = norm.normalize_address(code_raw)
        report("commune_code", addr.problem, code_raw)
    else:
        addr = norm.normalize_address(addr_raw)
        if "address" in columns:
            report("address", addr.problem, addr_raw)
    if addr.value is not None:
        commune_code, province_code = addr.value.commune_code, addr.value.province_code
        legacy = addr.value.legacy
    phone_raw = get("phone")
    phone = norm.normalize_phone(phone_raw)
    if "phone" in columns:
        report("phone", phone.problem, phone_raw)

    parts = name.value
    idv = ident.value
    bd = birth.value
    return {
        "record_key": _text(get("record_key")) or str(line),
        "line": line,
        "pid": idv.number if idv is not None and idv.kind == "pid" else None,
        "id_kind": idv.kind if idv is not None else None,
        "id_number": _text(id_raw),
        "name": parts.display,
        "name_folded": parts.folded,
        "family": parts.family or None,
        "middle": parts.middle or None,
        "given": parts.given,
        "birth_date": bd.iso if bd else None,
        "birth_precision": bd.precision if bd else None,
        "birth_year": bd.year if bd else None,
        "sex": sex.value,
        "province_code": province_code,
        "commune_code": commune_code,
        "address_legacy": legacy,
        "phone": phone.value,
        "raw": {h: _text(v) for h, v in zip(header, row, strict=False)},
    }
