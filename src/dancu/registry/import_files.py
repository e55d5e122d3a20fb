"""Reading a citizen file for the bulk import (``importer``): CSV or Parquet into
(line, values) records, the header first, its column names compared as NFC, trimmed and
lowercase; a file that cannot be read, or whose columns are missing or repeated, is an
``ImportFileError`` before any row is looked at."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from dancu.common.errors import ValidationFailed
from dancu.registry.errors import RegistryErrorCode

REQUIRED = ("pid", "full_name", "birth_date", "sex", "commune_code")
PARQUET_BATCH = 20_000  # rows per Parquet batch read
Record = tuple[int, Sequence[Any]]  # (line number, values in header order)


class ImportFileError(ValidationFailed):
    """The file itself cannot be read (format, encoding, missing columns)."""


def as_dict(header: list[str], values: Sequence[Any], width: int) -> dict[str, Any]:
    if len(values) != width:
        return {"__error__": f"expected {width} values, found {len(values)}"}
    return dict(zip(header, values, strict=True))


def read_records(path: Path) -> tuple[list[str], Iterator[Record]]:
    """The header and the (line, values) records; the file is opened on first iteration."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _header_first(_read_csv(path))
    if suffix in (".parquet", ".pq"):
        return _header_first(_read_parquet(path))
    raise ImportFileError(
        f"Unsupported file type {suffix!r}: use .csv or .parquet",
        code=RegistryErrorCode.IMPORT_FORMAT,
        field="file",
    )


def _header_first(records: Iterator[Record]) -> tuple[list[str], Iterator[Record]]:
    header: list[str] = list(next(records)[1])
    return header, records


def _column(name: str) -> str:
    """A header name as compared: NFC (a Mac writes NFD), trimmed (non-breaking spaces
    too), lowercase."""
    return unicodedata.normalize("NFC", name).strip().lower()


def _check_columns(columns: Sequence[str]) -> None:
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if repeated:
        raise ImportFileError(
            f"Column {repeated[0]!r} appears more than once: which one is meant cannot be known",
            code=RegistryErrorCode.IMPORT_DUPLICATE_COLUMN,
            field="file",
            column=repeated[0],
        )
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ImportFileError(
            f"Missing required columns: {', '.join(missing)}",
            code=RegistryErrorCode.IMPORT_COLUMNS,
            field="file",
            missing=",".join(missing),
        )


def _read_csv(path: Path) -> Iterator[Record]:
    """Line 1 is the header; then every non-blank line as a list of strings."""
    handle = path.open(encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(handle, delimiter=_delimiter(handle))
        try:
            header = [_column(h) for h in next(reader)]
        except StopIteration:
            raise ImportFileError(
                "The file is empty", code=RegistryErrorCode.IMPORT_EMPTY, field="file"
            ) from None
        _check_columns(header)
        yield 1, header
        for line, values in enumerate(reader, start=2):
            if values and values != [""]:
                yield line, values
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file is not UTF-8 text ({exc.reason} near byte {exc.start})",
            code=RegistryErrorCode.IMPORT_ENCODING,
            field="file",
        ) from exc
    except csv.Error as exc:
        raise ImportFileError(
            f"Malformed CSV: {exc}", code=RegistryErrorCode.IMPORT_CSV, field="file"
        ) from exc
    finally:
        handle.close()


def _delimiter(handle: TextIO) -> str:
    """The header line's separator: a comma, or the semicolon (or tab) a spreadsheet set to a
    Vietnamese or European locale writes instead; the handle is left at the start."""
    first = handle.readline()
    handle.seek(0)
    return max(",;\t", key=first.count) if first.count(",") == 0 else ","


def _read_parquet(path: Path) -> Iterator[Record]:
    import pyarrow.lib
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pyarrow.lib.ArrowInvalid, OSError) as exc:
        raise ImportFileError(
            f"Not a Parquet file: {exc}", code=RegistryErrorCode.IMPORT_PARQUET, field="file"
        ) from exc
    header = [_column(h) for h in parquet.schema_arrow.names]
    _check_columns(header)
    yield 1, header
    line = 1
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH):
        for values in zip(*(column.to_pylist() for column in batch.columns), strict=True):
            line += 1
            yield line, values
