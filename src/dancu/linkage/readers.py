"""File readers: the bytes of a CSV, XLSX or Parquet file -> a header and numbered rows.

``read_table`` detects a CSV's encoding (UTF-8 with or without a byte-order mark,
Windows-1258 with its combining tone marks composed to NFC) and delimiter, and reports the
lines it could not decode instead of failing on them. It does not interpret the values:
``dataset.py`` maps and normalizes them.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dancu.common.errors import ValidationFailed
from dancu.linkage.errors import LinkageErrorCode

__all__ = ["FORMATS", "Rows", "Table", "read_table"]

# (line number in the file, the row's values); the header is line 1
Rows = Iterator[tuple[int, list[Any]]]
FORMATS = {
    "csv": "csv",
    "txt": "csv",
    "tsv": "csv",
    "xlsx": "xlsx",
    "xlsm": "xlsx",
    "parquet": "parquet",
}


@dataclass
class Table:
    """A file's header and rows. ``encoding``: "utf-8", "utf-8-sig", "cp1258", "unknown",
    "xlsx" or "parquet"; ``undecodable``: data lines whose bytes could not be decoded (not
    among the rows)."""

    header: list[str]
    rows: Rows
    encoding: str
    undecodable: list[int] = field(default_factory=list)


def read_table(data: bytes, file_format: str) -> Table:
    """Read ``data`` as ``file_format`` ("csv", "xlsx", "parquet" or an alias in FORMATS).

    Raises ``linkage.bad_format`` for another format or an unreadable file and
    ``linkage.empty_file`` for a file without a header.
    """
    kind = FORMATS.get(file_format.lower())
    if kind == "csv":
        return _read_csv(data)
    if kind == "xlsx":
        return _read_xlsx(data)
    if kind == "parquet":
        return _read_parquet(data)
    raise ValidationFailed(
        f"unsupported file format {file_format or '(none)'!r}; use CSV, XLSX or Parquet",
        code=LinkageErrorCode.BAD_FORMAT,
        field="file",
    )


# ---------------------------------------------------------------------------- CSV


def _decode(data: bytes) -> tuple[str, str, list[int]]:
    """(text, encoding, line numbers blanked because their bytes were undecodable)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig", []
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    bad = [i for i, raw in enumerate(lines, 1) if not _utf8(raw)]
    if len(bad) * 20 < len(lines):  # a few broken lines in a UTF-8 file: report them
        good = [raw if _utf8(raw) else b"" for raw in lines]
        return b"\n".join(good).decode("utf-8"), "utf-8", bad
    try:  # Windows-1258 spells tone marks as combining characters: compose them
        return unicodedata.normalize("NFC", data.decode("cp1258")), "cp1258", []
    except UnicodeDecodeError:
        good = [raw if _utf8(raw) else b"" for raw in lines]
        return b"\n".join(good).decode("utf-8"), "unknown", bad


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_csv(data: bytes) -> Table:
    text, encoding, bad = _decode(data)
    undecodable = set(bad)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise ValidationFailed("the file has no header line", code=LinkageErrorCode.EMPTY_FILE)
    header = [h.strip() for h in header]

    def rows() -> Rows:
        start = reader.line_num + 1
        for row in reader:
            line = start
            start = reader.line_num + 1
            if line in undecodable and not any(row):
                continue  # blanked undecodable line, reported by the caller
            yield line, row

    return Table(header, rows(), encoding, bad)


# ---------------------------------------------------------------------------- XLSX, Parquet


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/... on a non-XLSX file
        raise ValidationFailed(
            f"not a readable XLSX file: {exc}", code=LinkageErrorCode.BAD_FORMAT, field="file"
        ) from None
    sheet = book.worksheets[0]
    it = sheet.iter_rows(values_only=True)
    first = next(it, None)
    if first is None or not any(c is not None for c in first):
        raise ValidationFailed("the sheet is empty", code=LinkageErrorCode.EMPTY_FILE, field="file")
    header = ["" if c is None else str(c).strip() for c in first]

    def rows() -> Rows:
        for line, row in enumerate(it, 2):
            yield line, list(row)

    return Table(header, rows(), "xlsx")


def _read_parquet(data: bytes) -> Table:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # pyarrow.ArrowInvalid and friends
        raise ValidationFailed(
            f"not a readable Parquet file: {exc}", code=LinkageErrorCode.BAD_FORMAT, field="file"
        ) from None
    header = list(table.column_names)

    def rows() -> Rows:
        for line, rec in enumerate(table.to_pylist(), 2):
            yield line, [rec[c] for c in header]

    return Table(header, rows(), "parquet")
