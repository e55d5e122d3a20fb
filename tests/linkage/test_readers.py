"""File readers: formats, encodings and undecodable lines, before any interpretation."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from dancu.common.errors import ValidationFailed
from dancu.linkage.dataset import read_dataset
from dancu.linkage.readers import MAX_SHARED_STRINGS, read_table

HEADER = b"ma_so_bhxh,ho_ten,so_cccd,ngay_sinh,gioi_tinh,dia_chi,so_dien_thoai\n"


def test_tab_separated_text_is_csv() -> None:
    table = read_table(b"a\tb\n1\t2\n3\t4\n", "tsv")
    assert table.header == ["a", "b"] and table.encoding == "utf-8"
    assert list(table.rows) == [(2, ["1", "2"]), (3, ["3", "4"])]
    assert table.undecodable == []


@pytest.mark.parametrize("fmt", ["docx", "", "pdf"])
def test_other_formats_are_refused(fmt: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        read_table(b"a,b\n1,2\n", fmt)
    assert exc.value.code == "linkage.bad_format" and exc.value.field == "file"


def test_lines_in_no_known_encoding_are_rejected_not_also_read() -> None:
    good = [f"K{i},Nguyễn Văn Số {i},,01/01/1990,Nam,,".encode() for i in range(7)]
    bad = [f"B{i},Ng".encode() + b"\x81\x8d\xfe" + b",,01/01/1990,Nam,," for i in range(3)]
    data = HEADER + b"\n".join(good[:3] + bad + good[3:]) + b"\n"
    with pytest.raises(UnicodeDecodeError):
        data.decode("cp1258")  # 0x81 is not Windows-1258 either
    table = read_table(data, "csv")
    assert table.encoding == "unknown" and table.undecodable == [5, 6, 7]
    assert [line for line, _ in table.rows] == [2, 3, 4, 8, 9, 10, 11]

    ds = read_dataset(data, "social_insurance", file_format="csv")
    assert ds.lines == 10 and len(ds.records) == 7 and ds.rejected == 3
    assert sorted(ds.records["line"]) == [2, 3, 4, 8, 9, 10, 11]  # no bad line is a record
    rejected = [(p.line, p.code) for p in ds.problems if p.rejected]
    assert rejected == [(5, "row.undecodable"), (6, "row.undecodable"), (7, "row.undecodable")]


def xlsx_bomb(path: Path, unpacked: int) -> Path:
    """A valid XLSX of a few hundred kilobytes whose shared strings unpack to ``unpacked``
    bytes (one cell of the sheet uses the huge string)."""
    book = Workbook()
    book.active.append(["ho_ten", "so_tai_khoan"])
    book.active.append(["A", "1"])
    plain = path.with_name("plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            if item.filename != "xl/sharedStrings.xml":
                out.writestr(item, src.read(item.filename))
        with out.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            strings.write(b"<si><t>ho_ten</t></si><si><t>so_tai_khoan</t></si><si><t>")
            block = b"A" * 2**20
            for _ in range(unpacked // len(block)):
                strings.write(block)
            strings.write(b"</t></si><si><t>1</t></si></sst>")
    return path


def test_an_xlsx_that_unpacks_to_too_much_is_refused_before_parsing(tmp_path: Path) -> None:
    bomb = xlsx_bomb(tmp_path / "bomb.xlsx", MAX_SHARED_STRINGS + 2**20)
    assert bomb.stat().st_size < 2**20  # small on disk
    tracemalloc.start()
    try:
        with pytest.raises(ValidationFailed) as exc:
            read_dataset(bomb, "bank")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (exc.value.code, exc.value.field) == ("linkage.unpacked_too_large", "file")
    assert peak < 4 * 2**20  # the refusal reads the zip's directory, not its parts


def test_a_large_xlsx_within_the_limits_is_read_row_by_row(tmp_path: Path) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["ho_ten", "so_tai_khoan"])
    for i in range(3000):
        sheet.append([f"Nguyễn Văn {i}", str(i)])
    book.save(tmp_path / "ok.xlsx")
    table = read_table(tmp_path / "ok.xlsx", "xlsx")
    assert table.header == ["ho_ten", "so_tai_khoan"]
    assert sum(1 for _ in table.rows) == 3000
