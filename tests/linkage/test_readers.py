"""File readers: formats, encodings and undecodable lines, before any interpretation."""

from __future__ import annotations

import pytest

from dancu.common.errors import ValidationFailed
from dancu.linkage.dataset import read_dataset
from dancu.linkage.readers import read_table

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
