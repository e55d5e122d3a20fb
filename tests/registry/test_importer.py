"""Bulk import of citizens from CSV and Parquet: exact row reports, no partial writes.

Line numbers count the header as line 1. Valid rows are written, invalid ones reported with
their line, field and code; a file that cannot be read writes nothing at all.
"""

from __future__ import annotations

import csv
import io
import itertools
import unicodedata
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dancu import cli
from dancu.common import adminunits, audit
from dancu.common.errors import Forbidden
from dancu.common.pid import make_pid
from dancu.registry.import_files import ImportFileError
from dancu.registry.importer import import_citizens
from dancu.registry.models import Citizen
from tests.conftest import TODAY
from tests.registry.factories import person

COMMUNES = [c.code for c in adminunits.communes("66")]
HEADER = ["pid", "full_name", "birth_date", "sex", "commune_code", "address_detail"]
_serials = itertools.count(500_001)  # clear of tests/registry/factories.py's serials


def pid_for(birth_date: date, sex: str, province: str = "066") -> str:
    return make_pid(province_code=province, birth_date=birth_date, sex=sex, serial=next(_serials))


def row(
    full_name: str = "Nguyễn Văn An",
    birth_date: date = date(1985, 3, 2),
    sex: str = "M",
    commune_code: str = COMMUNES[0],
    *,
    pid: str | None = None,
    born: str | None = None,
    address: str = "12 Lê Duẩn",
) -> list[str]:
    """One CSV row; ``born`` overrides how the birth date is written."""
    pid = pid if pid is not None else pid_for(birth_date, sex)
    written = born if born is not None else birth_date.isoformat()
    return [pid, full_name, written, sex, commune_code, address]


TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def cp1258(text_: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: base letters precomposed, tone marks combining."""
    out = []
    for ch in text_:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS))
        out.append(base + "".join(c for c in parts if c in TONE_MARKS))
    return "".join(out).encode("cp1258")


def write_csv(path: Path, rows: list[list[str]], *, header: list[str] = HEADER) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def citizens(session: Session) -> list[tuple[str, str, date, str, str, str, str]]:
    stmt = select(
        Citizen.pid,
        Citizen.full_name,
        Citizen.birth_date,
        Citizen.sex,
        Citizen.province_code,
        Citizen.commune_code,
        Citizen.address_detail,
    ).order_by(Citizen.pid)
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]


def citizen_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Citizen)) or 0


def errors(report) -> list[tuple[int, str | None, str]]:  # type: ignore[no-untyped-def]
    return [(e.line, e.field, e.code) for e in report.errors]


def run_import(session: Session, path: Path, actor):  # type: ignore[no-untyped-def]
    return import_citizens(session, path, actor=actor, today=TODAY)


# --- a file mixing good and bad rows --------------------------------------------------------


def test_valid_rows_are_imported_and_each_bad_row_reported(session, system, tmp_path):
    registered = person(session, "Trần Thị Bình", birth_date=date(1992, 7, 9), sex="F")
    a = row("Nguyễn Văn An", date(1985, 3, 2), "M", COMMUNES[0])
    b = row("Lê Thị Cúc", date(2001, 12, 31), "F", COMMUNES[1], born="31/12/2001")
    c = row("Phạm Minh Đức", date(1960, 1, 1), "M", COMMUNES[2], address="")
    future_pid = "066226" + f"{next(_serials):06d}"  # born 2026, a male of the 2000s
    rows = [
        a,  # line 2
        row(pid="12345"),  # 3: not a 12-digit ID number
        b,  # 4
        row(commune_code="99999"),  # 5: no such commune
        row(birth_date=date(2026, 2, 1), pid=future_pid),  # 6: after TODAY (2026-01-15)
        row(birth_date=date(1991, 1, 1), pid=pid_for(date(1990, 1, 1), "M")),  # 7
        row("Hoàng Văn Em", date(1985, 3, 2), pid=a[0]),  # 8: same ID number as line 2
        row("Trần Thị Bình", date(1992, 7, 9), "F", pid=registered.pid),  # 9: registered
        [],  # 10: a blank line is skipped, not counted
        c,  # 11
        [*row(), "an extra value"],  # 12: seven values under six columns
    ]
    before = citizen_count(session)

    report = run_import(session, write_csv(tmp_path / "ho-khau.csv", rows), system)

    assert (report.read, report.imported, report.rejected) == (10, 3, 7)
    assert errors(report) == [
        (3, "pid", "pid.length"),
        (5, "commune_code", "commune.unknown"),
        (6, "birth_date", "birth_date.future"),
        (7, "pid", "pid.birth_mismatch"),
        (8, "pid", "pid.duplicate"),
        (9, "pid", "pid.duplicate"),
        (12, None, "import.row_shape"),
    ]
    shown = ("pid.duplicate", "import.row_shape")
    assert [e.message for e in report.errors if e.code in shown] == [
        "ID number repeated in the file",
        "ID number already registered",
        "expected 6 values, found 7",
    ]
    assert citizen_count(session) == before + 3
    imported = {r[0]: r for r in citizens(session) if r[0] in (a[0], b[0], c[0])}
    assert imported == {
        a[0]: (a[0], "Nguyễn Văn An", date(1985, 3, 2), "M", "66", COMMUNES[0], "12 Lê Duẩn"),
        b[0]: (b[0], "Lê Thị Cúc", date(2001, 12, 31), "F", "66", COMMUNES[1], "12 Lê Duẩn"),
        c[0]: (c[0], "Phạm Minh Đức", date(1960, 1, 1), "M", "66", COMMUNES[2], ""),
    }
    session.refresh(registered)
    assert registered.full_name == "Trần Thị Bình"


def test_imported_rows_get_the_defaults_and_a_folded_name(session, system, tmp_path):
    good = row("  nguyễn   văn  an ", date(1985, 3, 2), "m")
    report = run_import(session, write_csv(tmp_path / "one.csv", [good]), system)
    assert (report.imported, errors(report)) == (1, [])
    citizen = session.scalars(select(Citizen).where(Citizen.pid == good[0])).one()
    assert (citizen.full_name, citizen.name_folded, citizen.sex) == (
        "Nguyễn Văn An",
        "nguyen van an",
        "M",
    )
    assert (citizen.ethnicity, citizen.religion, citizen.nationality) == ("Kinh", "Không", "VN")
    assert (citizen.status, citizen.marital_status) == ("alive", "single")


def test_the_import_is_audited(session, system, tmp_path):
    path = write_csv(tmp_path / "dot-1.csv", [row(), row(pid="1")])
    run_import(session, path, system)
    [entry] = audit.trail(session, "import", "dot-1.csv")
    assert (entry.action, entry.actor_id, entry.purpose, entry.fields) == (
        "registry.import",
        system.id,
        "data_maintenance",
        ["rows:1"],
    )


def test_an_officer_without_the_import_permission_is_refused(session, clerk, tmp_path):
    before = citizen_count(session)
    with pytest.raises(Forbidden) as refused:
        run_import(session, write_csv(tmp_path / "x.csv", [row()]), clerk)
    assert refused.value.code == "auth.permission"
    assert citizen_count(session) == before


def test_text_longer_than_its_column_is_a_row_error(session, system, tmp_path):
    good = row()
    long_address = row(address="x" * 201)
    header = [*HEADER, "nationality"]
    rows = [[*good, "VN"], [*long_address, "VN"], [*row(), "Việt Nam"]]
    report = run_import(session, write_csv(tmp_path / "long.csv", rows, header=header), system)
    assert (report.imported, errors(report)) == (
        1,
        [
            (3, "address_detail", "text.too_long"),
            (4, "nationality", "nationality.invalid"),
        ],
    )


# --- files that cannot be read --------------------------------------------------------------


def test_a_csv_with_a_byte_order_mark_imports(session, system, tmp_path):
    good = row("Đoàn Văn Hùng")
    path = write_csv(tmp_path / "excel.csv", [good])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    report = run_import(session, path, system)
    assert (report.read, report.imported, errors(report)) == (1, 1, [])
    assert session.scalar(select(Citizen.full_name).where(Citizen.pid == good[0])) == (
        "Đoàn Văn Hùng"
    )


@pytest.mark.parametrize("valid_rows_before", [0, 400], ids=["at-once", "after-400-rows"])
def test_a_windows_1258_file_is_refused_and_nothing_written(
    session, system, tmp_path, valid_rows_before
):
    """Đoàn Văn Hùng in cp1258 is not UTF-8: refused whether the bad bytes come first or late."""
    ascii_rows = [row(f"Nguyen Van An {chr(65 + i % 26)}") for i in range(valid_rows_before)]
    text_ = io.StringIO()
    writer = csv.writer(text_, lineterminator="\n")
    writer.writerows([HEADER, *ascii_rows, row("Đoàn Văn Hùng")])
    path = tmp_path / "cp1258.csv"
    path.write_bytes(cp1258(text_.getvalue()))
    before = citizen_count(session)

    with pytest.raises(ImportFileError) as refused:
        run_import(session, path, system)

    assert (refused.value.code, refused.value.field) == ("import.encoding", "file")
    assert refused.value.message.startswith("The file is not UTF-8 text")
    assert citizen_count(session) == before
    assert audit.trail(session, "import", "cp1258.csv") == []


def test_a_missing_column_is_named(session, system, tmp_path):
    header = [h for h in HEADER if h != "commune_code"]
    path = write_csv(tmp_path / "no-commune.csv", [row()[:4] + row()[5:]], header=header)
    with pytest.raises(ImportFileError) as refused:
        run_import(session, path, system)
    assert (refused.value.code, refused.value.message, refused.value.params) == (
        "import.columns",
        "Missing required columns: commune_code",
        {"missing": "commune_code"},
    )


def test_an_empty_file_is_refused(session, system, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ImportFileError) as refused:
        run_import(session, path, system)
    assert (refused.value.code, refused.value.message) == ("import.empty", "The file is empty")


def test_a_header_without_rows_imports_nothing(session, system, tmp_path):
    report = run_import(session, write_csv(tmp_path / "header.csv", []), system)
    assert (report.read, report.imported, report.errors) == (0, 0, [])


def test_an_unknown_file_type_is_refused(session, system, tmp_path):
    path = tmp_path / "citizens.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(ImportFileError) as refused:
        run_import(session, path, system)
    assert (refused.value.code, refused.value.message) == (
        "import.format",
        "Unsupported file type '.xlsx': use .csv or .parquet",
    )


def test_a_file_that_is_not_parquet_is_refused(session, system, tmp_path):
    path = write_csv(tmp_path / "really.parquet", [row()])
    with pytest.raises(ImportFileError) as refused:
        run_import(session, path, system)
    assert refused.value.code == "import.parquet"


# --- Parquet ---------------------------------------------------------------------------------


def test_a_parquet_file_imports(session, system, tmp_path):
    good = [row("Nguyễn Văn An", date(1985, 3, 2)), row("Lê Thị Cúc", date(2001, 12, 31), "F")]
    bad = row(commune_code="99999")
    records = [good[0], bad, good[1]]
    table = pa.table(
        {
            "pid": [r[0] for r in records],
            "full_name": [r[1] for r in records],
            "birth_date": [date.fromisoformat(r[2]) for r in records],  # a date32 column
            "sex": [r[3] for r in records],
            "commune_code": [r[4] for r in records],
        }
    )
    path = tmp_path / "citizens.parquet"
    pq.write_table(table, path)

    report = run_import(session, path, system)

    assert (report.read, report.imported) == (3, 2)
    assert errors(report) == [(3, "commune_code", "commune.unknown")]
    assert [r[:4] for r in citizens(session) if r[0] in (good[0][0], good[1][0])] == sorted(
        [
            (good[0][0], "Nguyễn Văn An", date(1985, 3, 2), "M"),
            (good[1][0], "Lê Thị Cúc", date(2001, 12, 31), "F"),
        ]
    )


def test_a_parquet_file_missing_a_column_is_refused(session, system, tmp_path):
    path = tmp_path / "partial.parquet"
    pq.write_table(pa.table({"pid": ["066085500001"], "full_name": ["Nguyễn Văn An"]}), path)
    with pytest.raises(ImportFileError) as refused:
        run_import(session, path, system)
    assert (refused.value.code, refused.value.params) == (
        "import.columns",
        {"missing": "birth_date,sex,commune_code"},
    )


# --- the command line -----------------------------------------------------------------------


def _pids_in(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        pids = list(conn.execute(text("SELECT pid FROM citizen ORDER BY pid")).scalars())
    engine.dispose()
    return pids


def _output(result) -> str:  # type: ignore[no-untyped-def]
    return " ".join(result.output.split())


def test_cli_import_commits_the_valid_rows_and_exits_0(cli_database, tmp_path):
    good = row()
    path = write_csv(tmp_path / "batch.csv", [good, row(pid="12345")])
    errors_csv = tmp_path / "rejected.csv"

    result = CliRunner().invoke(
        cli.app,
        ["registry", "import", str(path), "--errors", str(errors_csv)],
        env={"COLUMNS": "500"},  # Rich would wrap a long temporary path
    )

    assert result.exit_code == 0, result.output
    assert _output(result) == (
        "read 2 rows: 1 imported, 1 rejected "
        "line 3: pid: pid.length: a PID has 12 digits, got 5 "
        f"rejected rows written to {errors_csv}"
    )
    assert _pids_in(cli_database) == [good[0]]
    assert errors_csv.read_text(encoding="utf-8").splitlines() == [
        "line,field,code,message",
        '3,pid,pid.length,"a PID has 12 digits, got 5"',
    ]


def test_cli_import_of_an_unreadable_file_exits_2_and_writes_nothing(cli_database, tmp_path):
    path = tmp_path / "cp1258.csv"
    path.write_bytes(cp1258(",".join(HEADER) + "\n" + ",".join(row("Đoàn Văn Hùng")) + "\n"))
    result = CliRunner().invoke(cli.app, ["registry", "import", str(path)])
    assert result.exit_code == 2
    assert _output(result).startswith("import.encoding: The file is not UTF-8 text")
    assert _pids_in(cli_database) == []


def test_cli_import_of_a_missing_file_exits_2(cli_database, tmp_path):
    result = CliRunner().invoke(cli.app, ["registry", "import", str(tmp_path / "nowhere.csv")])
    assert result.exit_code == 2
    assert _pids_in(cli_database) == []
