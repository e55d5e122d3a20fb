"""File readers: a CSV, XLSX or Parquet file (a path, or bytes) -> a header and numbered rows.

Rows are read as a stream, so memory does not grow with the file: a CSV line by line, an
XLSX sheet with openpyxl's read-only reader, a Parquet file batch by batch. ``read_table``
detects a CSV's encoding (UTF-8 with or without a byte-order mark, Windows-1258 with its
combining tone marks composed to NFC) and delimiter in a first pass over the bytes, and
reports the lines it could not decode instead of failing on them. Before an XLSX is opened,
the sizes its parts unpack to are checked (``check_xlsx``): openpyxl keeps the shared
strings in memory, so a small file that unpacks to gigabytes is refused, not parsed. It
does not interpret the values: ``dataset.py`` maps and normalizes them.
"""

from __future__ import annotations

import csv
import io
import itertools
import unicodedata
import zipfile
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dancu.common.errors import ValidationFailed
from dancu.linkage.errors import LinkageErrorCode

__all__ = ["FORMATS", "MAX_SHARED_STRINGS", "MAX_UNPACKED", "Rows", "Table", "read_table"]

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
# What an XLSX may unpack to: the shared strings (held in memory by openpyxl) and all parts
# together (streamed, but parsing them costs time). A real 1-million-line sheet of sector
# data stays well below both.
MAX_SHARED_STRINGS = 64 * 2**20
MAX_UNPACKED = 2 * 2**30
PARQUET_BATCH = 5000
Source = bytes | Path
Opener = Callable[[], IO[bytes]]


@dataclass
class Table:
    """A file's header and rows. ``encoding``: "utf-8", "utf-8-sig", "cp1258", "unknown",
    "xlsx" or "parquet"; ``undecodable``: data lines whose bytes could not be decoded (not
    among the rows)."""

    header: list[str]
    rows: Rows
    encoding: str
    undecodable: list[int] = field(default_factory=list)


def read_table(data: Source, file_format: str) -> Table:
    """Read ``data`` (bytes or a file's path) as ``file_format`` ("csv", "xlsx", "parquet"
    or an alias in FORMATS); the rows are read as they are iterated.

    Raises ``linkage.bad_format`` for another format or an unreadable file,
    ``linkage.empty_file`` for a file without a header and ``linkage.unpacked_too_large``
    for an XLSX whose parts unpack to more than the limits.
    """
    kind = FORMATS.get(file_format.lower())
    if kind == "csv":
        return _read_csv(_opener(data))
    if kind == "xlsx":
        return _read_xlsx(data)
    if kind == "parquet":
        return _read_parquet(data)
    raise ValidationFailed(
        f"unsupported file format {file_format or '(none)'!r}; use CSV, XLSX or Parquet",
        code=LinkageErrorCode.BAD_FORMAT,
        field="file",
    )


def _opener(data: Source) -> Opener:
    if isinstance(data, bytes):
        return lambda: io.BytesIO(data)
    return lambda: Path(data).open("rb")


# ---------------------------------------------------------------------------- CSV


@dataclass
class _Scan:
    """What the first pass learnt: lines, lines that are not UTF-8, whether Windows-1258 reads
    every line, whether the file starts with a byte-order mark."""

    lines: int = 0
    not_utf8: array = field(default_factory=lambda: array("q"))  # type: ignore[type-arg]
    cp1258: bool = True
    bom: bool = False


def _scan(open_file: Opener) -> _Scan:
    scan = _Scan()
    with open_file() as f:
        scan.bom = f.read(3) == b"\xef\xbb\xbf"
        if scan.bom:
            return scan
        f.seek(0)
        scan.lines = 1  # as many as b"\n" splits the file into
        for number, raw in enumerate(f, 1):
            scan.lines = number + raw.endswith(b"\n")
            if not _decodes(raw, "utf-8"):
                scan.not_utf8.append(number)
                scan.cp1258 = scan.cp1258 and _decodes(raw, "cp1258")
    return scan


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(scan: _Scan) -> tuple[str, list[int]]:
    """(encoding, line numbers blanked because their bytes were undecodable)."""
    if scan.bom:
        return "utf-8-sig", []
    bad = len(scan.not_utf8)
    if not bad:
        return "utf-8", []
    if bad * 20 < scan.lines:  # a few broken lines in a UTF-8 file: report them
        return "utf-8", scan.not_utf8.tolist()
    if scan.cp1258:  # Windows-1258 spells tone marks as combining characters: compose them
        return "cp1258", []
    return "unknown", scan.not_utf8.tolist()


def _text_lines(open_file: Opener, encoding: str, blanked: set[int]) -> Iterator[str]:
    """The file's lines as text (line endings kept), undecodable lines blanked."""
    with open_file() as f:
        if encoding == "utf-8-sig":
            f.read(3)
        for number, raw in enumerate(f, 1):
            if encoding == "utf-8-sig":
                yield raw.decode("utf-8", errors="replace")
            elif encoding == "cp1258":
                yield unicodedata.normalize("NFC", raw.decode("cp1258"))
            elif number in blanked:
                yield "\n" if raw.endswith(b"\n") else ""
            else:
                yield raw.decode("utf-8")


def _read_csv(open_file: Opener) -> Table:
    encoding, bad = _encoding(_scan(open_file))
    undecodable = set(bad)
    lines = _text_lines(open_file, encoding, undecodable)
    head: list[str] = []
    size = 0
    for line in lines:  # the first 8 KiB of text, for the delimiter
        head.append(line)
        size += len(line)
        if size >= 8192:
            break
    try:
        dialect: Any = csv.Sniffer().sniff("".join(head)[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(itertools.chain(head, lines), dialect)
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


# ---------------------------------------------------------------------------- XLSX


def check_xlsx(data: Source) -> None:
    """Refuse an XLSX whose shared strings or parts unpack beyond the limits, from the
    sizes in its zip directory (the zip reader checks them while unpacking)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as book:
            members = book.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValidationFailed(
            f"not a readable XLSX file: {exc}", code=LinkageErrorCode.BAD_FORMAT, field="file"
        ) from None
    shared = sum(m.file_size for m in members if m.filename.lower().endswith("sharedstrings.xml"))
    total = sum(m.file_size for m in members)
    if shared > MAX_SHARED_STRINGS or total > MAX_UNPACKED:
        raise ValidationFailed(
            f"the XLSX file unpacks to {total // 2**20} MB ({shared // 2**20} MB of shared"
            f" strings); at most {MAX_UNPACKED // 2**20} MB"
            f" ({MAX_SHARED_STRINGS // 2**20} MB of shared strings) are read",
            code=LinkageErrorCode.UNPACKED_TOO_LARGE,
            field="file",
        )


def _read_xlsx(data: Source) -> Table:
    from openpyxl import load_workbook

    check_xlsx(data)
    try:
        book = load_workbook(
            io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True, data_only=True
        )
    except Exception as exc:  # openpyxl raises zipfile/KeyError/... on a non-XLSX file
        raise ValidationFailed(
            f"not a readable XLSX file: {exc}", code=LinkageErrorCode.BAD_FORMAT, field="file"
        ) from None
    sheet = book.worksheets[0]
    it = sheet.iter_rows(values_only=True)
    first = next(it, None)
    if first is None or not any(c is not None for c in first):
        book.close()
        raise ValidationFailed("the sheet is empty", code=LinkageErrorCode.EMPTY_FILE, field="file")
    header = ["" if c is None else str(c).strip() for c in first]

    def rows() -> Rows:
        try:
            for line, row in enumerate(it, 2):
                yield line, list(row)
        finally:
            book.close()

    return Table(header, rows(), "xlsx")


# ---------------------------------------------------------------------------- Parquet


def _read_parquet(data: Source) -> Table:
    import pyarrow.parquet as pq

    try:
        book = pq.ParquetFile(io.BytesIO(data) if isinstance(data, bytes) else data)
        header = list(book.schema_arrow.names)
    except Exception as exc:  # pyarrow.ArrowInvalid and friends
        raise ValidationFailed(
            f"not a readable Parquet file: {exc}", code=LinkageErrorCode.BAD_FORMAT, field="file"
        ) from None

    def rows() -> Rows:
        line = 1
        for batch in book.iter_batches(batch_size=PARQUET_BATCH):
            for rec in batch.to_pylist():
                line += 1
                yield line, [rec[c] for c in header]

    return Table(header, rows(), "parquet")
