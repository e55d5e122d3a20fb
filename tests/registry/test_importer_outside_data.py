"""Registry import files as other people's tools write them (session 7).

Before: a header typed in NFD, in capitals or with a non-breaking space was "missing"; two
columns of one name silently kept the last; a semicolon-separated file (a spreadsheet in a
Vietnamese or European locale) was "missing every column"; and free-text fields written in
NFD were stored in NFD (names were already stored as NFC).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import select

from dancu.registry.import_files import ImportFileError
from dancu.registry.models import Citizen
from tests.registry.test_importer import HEADER, citizen_count, errors, row, run_import


def _write(path: Path, rows: list[list[str]], *, sep: str = ",", newline: str = "\n") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator=newline).writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode())
    return path


def test_semicolons_crlf_and_a_header_in_nfd_capitals(session, system, tmp_path):  # type: ignore[no-untyped-def]
    header = [unicodedata.normalize("NFD", h.upper()) for h in HEADER]
    header[0] = "\u00a0PID "
    good = row("Đoàn Văn Hùng", address=unicodedata.normalize("NFD", "12 Lê Duẩn"))
    path = _write(tmp_path / "excel-vi.csv", [header, good], sep=";", newline="\r\n")
    report = run_import(session, path, system)
    assert (report.read, report.imported, errors(report)) == (1, 1, [])
    stored = session.execute(
        select(Citizen.full_name, Citizen.address_detail).where(Citizen.pid == good[0])
    ).one()
    assert tuple(stored) == ("Đoàn Văn Hùng", "12 Lê Duẩn")  # NFC, as typed on Windows
    assert unicodedata.is_normalized("NFC", stored.address_detail)


def test_nfd_text_takes_the_slow_path_and_is_stored_as_nfc(session, system, tmp_path):  # type: ignore[no-untyped-def]
    nfd = unicodedata.normalize("NFD", "Ê Đê")
    path = _write(
        tmp_path / "ethnic.csv",
        [[*HEADER, "ethnicity"], [*row("Y Moan Niê"), nfd]],
    )
    report = run_import(session, path, system)
    assert report.imported == 1, report.errors
    stored = session.scalar(select(Citizen.ethnicity).where(Citizen.full_name == "Y Moan Niê"))
    assert stored == "Ê Đê" and unicodedata.is_normalized("NFC", stored)


def test_two_columns_of_one_name_are_refused_and_nothing_written(session, system, tmp_path):  # type: ignore[no-untyped-def]
    before = citizen_count(session)
    path = _write(tmp_path / "twice.csv", [[*HEADER, "Full_Name"], [*row(), "Lê Thị Cúc"]])
    with pytest.raises(ImportFileError) as refused:
        run_import(session, path, system)
    assert refused.value.code == "import.duplicate_column" and refused.value.field == "file"
    assert refused.value.params == {"column": "full_name"}
    assert citizen_count(session) == before


def test_an_eth_look_alike_in_a_name_is_stored_as_d_with_stroke(session, system, tmp_path):  # type: ignore[no-untyped-def]
    good = row("\u00d0oàn Văn Hùng")
    report = run_import(session, _write(tmp_path / "eth.csv", [HEADER, good]), system)
    assert report.imported == 1, report.errors
    assert session.scalar(select(Citizen.full_name).where(Citizen.pid == good[0])) == (
        "Đoàn Văn Hùng"
    )
