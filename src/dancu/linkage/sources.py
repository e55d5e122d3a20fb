"""Reading a sector dataset (CSV, XLSX, Parquet) into normalised records.

``read_dataset`` maps the dataset's columns to our fields (a saved or default mapping per
source type), normalises every row with :mod:`dancu.linkage.normalize` and reports every
problem by line and reason. Nothing is dropped silently: each data line ends up either as a
record or as a *rejected* problem, so ``len(records) + rejected == lines``. Problems that do
not reject the row (an invalid ID number, a swapped day and month, an old address) are
reported too and the record is kept (it can still be matched on name and birth date).

Fatal problems (an empty file, a mapping that names a column the file does not have, an
unknown format or source type) raise :class:`dancu.common.errors.ValidationFailed` with the
codes ``linkage.empty_file``, ``linkage.missing_column``, ``linkage.bad_format`` and
``linkage.unknown_source_type``.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from dancu.common.errors import ValidationFailed
from dancu.linkage import normalize as norm

__all__ = [
    "FIELDS",
    "RECORD_COLUMNS",
    "SOURCE_TYPES",
    "Dataset",
    "Problem",
    "SourceType",
    "read_dataset",
]

Progress = Callable[[str, int, int], None]

# Our fields, in the order a mapping form shows them. Only full_name is required.
FIELDS: tuple[str, ...] = (
    "record_key", "id_number", "full_name", "birth_date", "sex", "address", "commune_code",
    "phone",
)  # fmt: skip
REQUIRED_FIELDS = frozenset({"full_name"})

# Columns of Dataset.records (the sector input of dancu.linkage.match.link).
RECORD_COLUMNS: tuple[str, ...] = (
    "record_key", "line", "pid", "id_kind", "id_number", "name", "name_folded", "family",
    "middle", "given", "birth_date", "birth_precision", "birth_year", "sex", "province_code",
    "commune_code", "address_legacy", "phone", "raw",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SourceType:
    code: str
    label: str  # English; the Vietnamese text is in dancu.web.messages.linkage
    default_mapping: Mapping[str, str]


def _st(code: str, label: str, **mapping: str) -> SourceType:
    return SourceType(code, label, mapping)


SOURCE_TYPES: dict[str, SourceType] = {
    s.code: s
    for s in (
        _st(
            "land",
            "Land parcels and their users",
            record_key="so_thua",
            full_name="ho_ten_nguoi_su_dung",
            id_number="so_giay_to",
            birth_date="nam_sinh",
            address="dia_chi_thuong_tru",
            sex="gioi_tinh",
        ),
        _st(
            "civil_status",
            "Civil-status book entries",
            record_key="so_dang_ky",
            full_name="ho_ten",
            id_number="so_dinh_danh",
            birth_date="ngay_sinh",
            sex="gioi_tinh",
            address="noi_cu_tru",
        ),
        _st(
            "social_insurance",
            "Social-insurance members",
            record_key="ma_so_bhxh",
            full_name="ho_ten",
            id_number="so_cccd",
            birth_date="ngay_sinh",
            sex="gioi_tinh",
            address="dia_chi",
            phone="so_dien_thoai",
        ),
        _st(
            "health_insurance",
            "Health-insurance cards",
            record_key="ma_the_bhyt",
            full_name="ho_ten",
            id_number="so_cccd",
            birth_date="ngay_sinh",
            sex="gioi_tinh",
            address="dia_chi",
        ),
        _st(
            "tax",
            "Personal tax codes",
            record_key="ma_so_thue",
            full_name="ho_ten",
            id_number="so_giay_to",
            birth_date="ngay_sinh",
            address="dia_chi",
        ),
        _st(
            "bank",
            "Bank customers",
            record_key="ma_khach_hang",
            full_name="ho_ten",
            id_number="so_giay_to",
            birth_date="ngay_sinh",
            sex="gioi_tinh",
            address="dia_chi",
            phone="so_dien_thoai",
        ),
        _st(
            "merit",
            "People with meritorious service",
            record_key="ma_ho_so",
            full_name="ho_ten",
            id_number="so_cccd",
            birth_date="nam_sinh",
            sex="gioi_tinh",
            address="que_quan",
        ),
        _st(
            "civil_servants",
            "Cadres and civil servants",
            record_key="ma_can_bo",
            full_name="ho_ten",
            id_number="so_cccd",
            birth_date="ngay_sinh",
            sex="gioi_tinh",
            address="noi_o_hien_nay",
            phone="so_dien_thoai",
        ),
    )
}


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
    encoding: str  # "utf-8", "utf-8-sig", "cp1258", "xlsx" or "parquet"
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
    """Read ``source`` (a path, or the bytes of an upload with ``file_format`` given).

    ``mapping`` is our field -> the file's column; fields it leaves out fall back to the
    source type's default mapping *only if* that column exists; a column named in
    ``mapping`` that the file lacks is fatal (``linkage.missing_column``, naming the column
    and listing the columns found). ``file_format`` is "csv", "xlsx" or "parquet" (default:
    from the file name). ``progress(step, done, total)`` is called every 5,000 rows.
    """
    if source_type not in SOURCE_TYPES:
        raise ValidationFailed(
            f"unknown source type {source_type!r}",
            code="linkage.unknown_source_type",
            field="source_type",
        )
    if file_format is None and not isinstance(source, bytes):
        file_format = Path(source).suffix.lstrip(".")
    fmt = (file_format or "").lower()
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not data.strip():
        raise ValidationFailed("the file is empty", code="linkage.empty_file", field="file")
    problems: list[Problem] = []
    if fmt in ("csv", "txt", "tsv"):
        header, rows, encoding = _read_csv(data, problems)
    elif fmt in ("xlsx", "xlsm"):
        header, rows = _read_xlsx(data)
        encoding = "xlsx"
    elif fmt == "parquet":
        header, rows = _read_parquet(data)
        encoding = "parquet"
    else:
        raise ValidationFailed(
            f"unsupported file format {fmt or '(none)'!r}; use CSV, XLSX or Parquet",
            code="linkage.bad_format",
            field="file",
        )
    columns = _resolve_mapping(header, SOURCE_TYPES[source_type], mapping)
    return _normalise(header, rows, columns, problems, encoding, today, progress)


# ---------------------------------------------------------------------------- formats

Rows = Iterator[tuple[int, list[Any]]]


def _decode(data: bytes, problems: list[Problem]) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    bad = [i for i, raw in enumerate(lines, 1) if not _utf8(raw)]
    if len(bad) * 20 < len(lines):  # a few broken lines in a UTF-8 file: report them
        for i in bad:
            problems.append(Problem(i, None, "row.undecodable", None, rejected=True))
        good = [raw if _utf8(raw) else b"" for raw in lines]
        return b"\n".join(good).decode("utf-8"), "utf-8"
    try:  # Windows-1258 spells tone marks as combining characters: compose them
        return unicodedata.normalize("NFC", data.decode("cp1258")), "cp1258"
    except UnicodeDecodeError:
        for i in bad:
            problems.append(Problem(i, None, "row.undecodable", None, rejected=True))
        return data.decode("utf-8", errors="replace"), "unknown"


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_csv(data: bytes, problems: list[Problem]) -> tuple[list[str], Rows, str]:
    text, encoding = _decode(data, problems)
    undecodable = {p.line for p in problems}
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise ValidationFailed("the file has no header line", code="linkage.empty_file")
    header = [h.strip() for h in header]

    def rows() -> Rows:
        start = reader.line_num + 1
        for row in reader:
            line = start
            start = reader.line_num + 1
            if line in undecodable and not any(row):
                continue  # blanked undecodable line, already reported
            yield line, row

    return header, rows(), encoding


def _read_xlsx(data: bytes) -> tuple[list[str], Rows]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/... on a non-XLSX file
        raise ValidationFailed(
            f"not a readable XLSX file: {exc}", code="linkage.bad_format", field="file"
        ) from None
    sheet = book.worksheets[0]
    it = sheet.iter_rows(values_only=True)
    first = next(it, None)
    if first is None or not any(c is not None for c in first):
        raise ValidationFailed("the sheet is empty", code="linkage.empty_file", field="file")
    header = ["" if c is None else str(c).strip() for c in first]

    def rows() -> Rows:
        for line, row in enumerate(it, 2):
            yield line, list(row)

    return header, rows()


def _read_parquet(data: bytes) -> tuple[list[str], Rows]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # pyarrow.ArrowInvalid and friends
        raise ValidationFailed(
            f"not a readable Parquet file: {exc}", code="linkage.bad_format", field="file"
        ) from None
    header = list(table.column_names)

    def rows() -> Rows:
        for line, rec in enumerate(table.to_pylist(), 2):
            yield line, [rec[c] for c in header]

    return header, rows()


# ---------------------------------------------------------------------------- mapping


def _resolve_mapping(
    header: list[str], source: SourceType, mapping: Mapping[str, str] | None
) -> dict[str, int]:
    """Our field -> column index."""
    index = {h: i for i, h in enumerate(header)}
    folded = {h.casefold(): i for i, h in enumerate(header)}
    out: dict[str, int] = {}
    for name, column in (mapping or {}).items():
        if name not in FIELDS:
            raise ValidationFailed(
                f"unknown field {name!r} in the mapping", code="linkage.unknown_field", field=name
            )
        if not column:
            continue
        i = index.get(column, folded.get(str(column).casefold()))
        if i is None:
            raise ValidationFailed(
                f"the mapping names column {column!r} for {name}, which the file does not have;"
                f" columns found: {', '.join(header)}",
                code="linkage.missing_column",
                field=name,
                column=column,
                found=", ".join(header),
            )
        out[name] = i
    for name, column in source.default_mapping.items():
        if name not in out and (mapping is None or name not in mapping):
            i = index.get(column, folded.get(column.casefold()))
            if i is not None:
                out[name] = i
    for name in FIELDS:  # a column already named like our field
        if name not in out and (mapping is None or name not in mapping) and name in index:
            out[name] = index[name]
    missing = REQUIRED_FIELDS - out.keys()
    if missing:
        name = sorted(missing)[0]
        column = (mapping or {}).get(name) or source.default_mapping.get(name, name)
        raise ValidationFailed(
            f"no column for {name} (expected {column!r}); columns found: {', '.join(header)}",
            code="linkage.missing_column",
            field=name,
            column=column,
            found=", ".join(header),
        )
    return out


# ---------------------------------------------------------------------------- rows


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    text = str(value).strip()
    return text or None


def _normalise(
    header: list[str],
    rows: Rows,
    columns: dict[str, int],
    problems: list[Problem],
    encoding: str,
    today: date | None,
    progress: Progress | None,
) -> Dataset:
    out: list[dict[str, Any]] = []
    seen_keys: dict[str, int] = {}
    lines = sum(1 for p in problems if p.rejected)  # undecodable lines were data lines
    width = len(header)
    for line, row in rows:
        if not any(_text(v) for v in row):
            continue  # blank line: not data
        lines += 1
        if progress and lines % 5000 == 0:
            progress("read", lines, 0)
        if len(row) != width and encoding not in ("xlsx", "parquet"):
            problems.append(
                Problem(line, None, "row.bad_width", f"{len(row)} fields, {width} expected", True)
            )
            continue
        rec = _record(line, row, header, columns, problems, today)
        if rec is None:
            continue
        key = rec["record_key"]
        if key in seen_keys:
            problems.append(Problem(line, "record_key", "row.duplicate_key", key))
            rec["record_key"] = f"{key}@{line}"
        seen_keys[rec["record_key"]] = line
        out.append(rec)
    if lines == 0:
        raise ValidationFailed("the file has no data rows", code="linkage.empty_file", field="file")
    records = pd.DataFrame(out, columns=list(RECORD_COLUMNS))
    return Dataset(records, problems, encoding, lines, header)


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
