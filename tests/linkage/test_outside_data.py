"""Sector files as other people's tools write them: the cells and headers no fixture had.

Each case was read wrongly before session 7: a header typed in NFD did not match the
mapping's NFC column; the look-alike eth (U+00D0) stayed in the stored name; a spreadsheet's
"keep as text" apostrophe made a valid ID number invalid and stayed in the record key; a
date written as its serial number was ``date.invalid``; and of two columns with the read
name, the last one won silently. Cases that already worked (BOM, CRLF, semicolons,
non-breaking spaces, lost leading zeros, empty and header-only files) are pinned here too.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date
from typing import Any

import openpyxl
import pytest

from dancu.common.errors import ValidationFailed
from dancu.linkage.dataset import read_dataset

HEADER = ["ma_so_bhxh", "ho_ten", "so_cccd", "ngay_sinh", "gioi_tinh", "dia_chi"]
ROW = ["0101234567", "Nguyễn Văn Đức", "001085012345", "15/03/1985", "Nam", "Ba Đình, Hà Nội"]
TODAY = date(2026, 1, 1)


def _csv(rows: list[list[Any]], *, sep: str = ",", newline: str = "\n", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator=newline).writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode()


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _one(data: bytes, file_format: str = "csv", **kw: Any) -> dict[str, Any]:
    dataset = read_dataset(data, "social_insurance", file_format=file_format, today=TODAY, **kw)
    assert dataset.lines == 1 and dataset.rejected == 0, dataset.problems
    assert [p for p in dataset.problems if p.field != "address"] == []
    return dataset.records.iloc[0].to_dict()


def _is_the_person(record: dict[str, Any]) -> None:
    assert record["pid"] == "001085012345"
    assert record["name"] == "Nguyễn Văn Đức" and record["name_folded"] == "nguyen van duc"
    assert record["birth_date"] == "1985-03-15" and record["sex"] == "M"


def test_decomposed_values_and_a_decomposed_header_under_a_custom_mapping() -> None:
    header = [unicodedata.normalize("NFD", h) for h in ["Mã số", "Họ và tên", "Ngày sinh"]]
    row = [unicodedata.normalize("NFD", v) for v in ("0101234567", ROW[1], ROW[3])]
    mapping = {"record_key": "Mã số", "full_name": "Họ và tên", "birth_date": "Ngày sinh"}
    record = _one(_csv([header, row]), mapping=mapping)
    assert record["name"] == "Nguyễn Văn Đức" and record["birth_date"] == "1985-03-15"


def test_the_eth_look_alike_is_stored_as_d_with_stroke() -> None:
    row = [*ROW]
    row[1] = "NGUYỄN VĂN \u00d0ỨC"
    _is_the_person(_one(_csv([HEADER, row])))


def test_a_spreadsheets_text_apostrophe_is_not_part_of_the_value() -> None:
    row = [*ROW]
    row[0], row[2] = "'0101234567", "'001085012345"
    record = _one(_csv([HEADER, row]))
    _is_the_person(record)
    assert record["record_key"] == "0101234567"


@pytest.mark.parametrize("serial", [31121, 31121.0, "31121"])
def test_a_date_written_as_its_serial_number(serial: object) -> None:
    row: list[Any] = [*ROW]
    row[3] = serial
    _is_the_person(_one(_xlsx([HEADER, row]), "xlsx"))


def test_a_serial_number_in_a_csv_too() -> None:
    row = [*ROW]
    row[3] = "31121"
    _is_the_person(_one(_csv([HEADER, row])))


def test_two_columns_of_the_read_name_are_refused_naming_the_column() -> None:
    data = _csv([[*HEADER, "HO_TEN"], [*ROW, "Trần Thị B"]])
    with pytest.raises(ValidationFailed) as refused:
        read_dataset(data, "social_insurance", file_format="csv", today=TODAY)
    assert refused.value.code == "linkage.duplicate_column"
    assert refused.value.field == "full_name" and "ho_ten" in refused.value.message


def test_a_repeated_column_nobody_reads_is_harmless() -> None:
    _is_the_person(_one(_csv([[*HEADER, "ghi_chu", "ghi_chu"], [*ROW, "a", "b"]])))


def test_bom_crlf_semicolons_and_non_breaking_spaces() -> None:
    row = [*ROW]
    row[1], row[2] = "\u00a0Nguyễn\u00a0Văn  Đức\u00a0", " 001085012345\u00a0"
    header = [f"\u00a0{HEADER[0]}", *HEADER[1:]]
    _is_the_person(_one(_csv([header, row], sep=";", newline="\r\n", bom=True)))


def test_numbers_that_lost_their_leading_zeros_in_a_spreadsheet() -> None:
    row: list[Any] = [*ROW]
    row[2] = 1085012345  # the PID 001085012345 stored as a number
    _is_the_person(_one(_xlsx([HEADER, row]), "xlsx"))


def test_a_long_name_within_the_limit_is_read() -> None:
    row = [*ROW]
    row[1] = "Nguyễn " * 27 + "Đức"
    dataset = read_dataset(_csv([HEADER, row]), "social_insurance", file_format="csv")
    assert dataset.lines == 1


@pytest.mark.parametrize(
    ("data", "file_format"),
    [(b"", "csv"), (b"\r\n  \n", "csv"), (_csv([HEADER]), "csv"), (_xlsx([HEADER]), "xlsx")],
    ids=["empty", "blank", "header-only", "xlsx-header-only"],
)
def test_empty_and_header_only_files_name_the_file(data: bytes, file_format: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        read_dataset(data, "social_insurance", file_format=file_format)
    assert refused.value.code == "linkage.empty_file" and refused.value.field == "file"


def test_a_name_longer_than_a_record_keeps_rejects_its_line_not_the_import() -> None:
    """It was a database error (varchar(200)) that failed the whole import with no code."""
    long = [*ROW]
    long[1] = "Nguyễn " * 3000 + "Đức"
    dataset = read_dataset(
        _csv([HEADER, ROW, long]), "social_insurance", file_format="csv", today=TODAY
    )
    assert (dataset.lines, dataset.rejected, len(dataset.records)) == (2, 1, 1)
    problem = next(p for p in dataset.problems if p.rejected)
    assert (problem.line, problem.field, problem.code) == (3, "full_name", "name.too_long")
