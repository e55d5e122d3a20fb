"""Reading sector datasets: encodings, formats, mappings, and every bad input reported."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dancu.common.errors import ValidationFailed
from dancu.common.pid import make_pid
from dancu.linkage.dataset import RECORD_COLUMNS, read_dataset

TODAY = date(2025, 10, 1)
HEADER = "ma_so_bhxh,ho_ten,so_cccd,ngay_sinh,gioi_tinh,dia_chi,so_dien_thoai"


def _pid(serial: int, year: int = 1990, sex: str = "M") -> str:
    return make_pid(province_code="066", birth_date=date(year, 1, 1), sex=sex, serial=serial)


ROWS = [
    f'BH001,Nguyễn Văn An,{_pid(1)},17/05/1990,Nam,"Phường Bến Thành, TP Hồ Chí Minh",0912345678',
    f"BH002,Trần Thị Bích,{_pid(2, 1985, 'F')},1985,Nữ,26743,+84 912 000 111",
    "BH003,Lê Hoàng Đức,,05/1970,Nam,,",
]


def _cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: base letters (â, ê, ơ, ...) plus combining tone marks."""
    import unicodedata

    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", d[:2])
        try:
            out += (base + d[2:]).encode("cp1258")
        except UnicodeEncodeError:
            out += d.encode("cp1258")
    return bytes(out)


def _csv(rows: list[str], header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def test_utf8_csv_with_the_default_mapping(tmp_path: Path) -> None:
    path = tmp_path / "bhxh.csv"
    path.write_text(_csv(ROWS), encoding="utf-8")
    ds = read_dataset(path, "social_insurance", today=TODAY)
    assert ds.encoding == "utf-8"
    assert ds.lines == 3 and len(ds.records) == 3 and ds.rejected == 0
    assert list(ds.records.columns) == list(RECORD_COLUMNS)
    first = ds.records.iloc[0]
    assert first["record_key"] == "BH001"
    assert first["pid"] == _pid(1)
    assert (first["family"], first["middle"], first["given"]) == ("nguyen", "van", "an")
    assert first["birth_date"] == "1990-05-17" and first["birth_precision"] == "day"
    assert first["sex"] == "M" and first["commune_code"] == "26743"
    assert first["phone"] == "0912345678"
    assert first["raw"]["ho_ten"] == "Nguyễn Văn An"
    second = ds.records.iloc[1]
    assert second["birth_date"] == "1985" and second["birth_precision"] == "year"
    assert second["phone"] == "0912000111"
    third = ds.records.iloc[2]
    assert third["pid"] is None and third["birth_date"] == "1970-05"
    # Missing optional values are not problems; nothing was wrong in this file.
    assert ds.problems == []


def test_bom_file_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv(ROWS).encode("utf-8"))
    ds = read_dataset(path, "social_insurance", today=TODAY)
    assert ds.encoding == "utf-8-sig"
    assert ds.columns[0] == "ma_so_bhxh"  # the BOM is not glued to the first column name
    assert ds.records["record_key"].tolist() == ["BH001", "BH002", "BH003"]


def test_windows_1258_file_is_detected_and_decoded(tmp_path: Path) -> None:
    path = tmp_path / "cp1258.csv"
    data = _cp1258(_csv(ROWS))
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    path.write_bytes(data)
    ds = read_dataset(path, "social_insurance", today=TODAY)
    assert ds.encoding == "cp1258"
    assert ds.records.iloc[0]["name"] == "Nguyễn Văn An"  # composed again (NFC)
    assert ds.records.iloc[1]["name_folded"] == "tran thi bich"
    assert ds.records.iloc[2]["raw"]["ho_ten"] == "Lê Hoàng Đức"


def test_semicolon_separated_csv(tmp_path: Path) -> None:
    text = _csv([r.replace(",", ";") for r in ROWS[1:]], HEADER.replace(",", ";"))
    ds = read_dataset(text.encode(), "social_insurance", file_format="csv", today=TODAY)
    assert ds.records["record_key"].tolist() == ["BH002", "BH003"]


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_empty_file(content: bytes) -> None:
    with pytest.raises(ValidationFailed) as exc:
        read_dataset(content, "social_insurance", file_format="csv")
    assert exc.value.code == "linkage.empty_file"


def test_header_only_file_is_empty() -> None:
    with pytest.raises(ValidationFailed) as exc:
        read_dataset((HEADER + "\n").encode(), "social_insurance", file_format="csv")
    assert exc.value.code == "linkage.empty_file"


def test_mapping_naming_a_missing_column() -> None:
    mapping = {"full_name": "ho_ten", "id_number": "so_cmnd"}
    with pytest.raises(ValidationFailed) as exc:
        read_dataset(_csv(ROWS).encode(), "social_insurance", mapping, file_format="csv")
    err = exc.value
    assert err.code == "linkage.missing_column" and err.field == "id_number"
    assert "so_cmnd" in err.message
    for column in HEADER.split(","):  # the columns found are listed
        assert column in err.message
    assert err.params["column"] == "so_cmnd"


def test_required_name_column_missing_from_the_default_mapping() -> None:
    text = "a,b\n1,2\n"
    with pytest.raises(ValidationFailed) as exc:
        read_dataset(text.encode(), "bank", file_format="csv")
    assert exc.value.code == "linkage.missing_column" and exc.value.field == "full_name"
    assert "a, b" in exc.value.message


def test_custom_mapping_overrides_the_default() -> None:
    text = "Mã,Họ và tên,CCCD,Ngày sinh\nK1,Phạm Thị Lan,,03/04/1992\n"
    mapping = {
        "record_key": "Mã",
        "full_name": "Họ và tên",
        "id_number": "CCCD",
        "birth_date": "Ngày sinh",
    }
    ds = read_dataset(text.encode(), "bank", mapping, file_format="csv", today=TODAY)
    rec = ds.records.iloc[0]
    assert (rec["record_key"], rec["given"], rec["birth_date"]) == ("K1", "lan", "1992-04-03")


def test_unknown_source_type_and_format() -> None:
    with pytest.raises(ValidationFailed) as exc:
        read_dataset(b"x", "lottery", file_format="csv")
    assert exc.value.code == "linkage.unknown_source_type"
    with pytest.raises(ValidationFailed) as exc:
        read_dataset(b"x", "bank", file_format="docx")
    assert exc.value.code == "linkage.bad_format"


def test_thirty_percent_invalid_id_numbers_all_reported_nothing_lost() -> None:
    rows = []
    bad_lines = []
    for i in range(100):
        if i % 10 < 3:
            number = f"99{i:03d}"  # invalid: too short
            bad_lines.append(i + 2)
        else:
            number = _pid(100 + i)
        rows.append(f"K{i},Nguyễn Văn Số {i},{number},01/01/1990,Nam,,")
    ds = read_dataset(_csv(rows).encode(), "social_insurance", file_format="csv", today=TODAY)
    assert ds.lines == 100
    assert len(ds.records) + ds.rejected == ds.lines  # nothing lost
    assert len(ds.records) == 100  # invalid IDs keep the record (name and date still match)
    invalid = [p for p in ds.problems if p.code == "id.invalid"]
    assert sorted(p.line for p in invalid) == bad_lines
    assert all(p.field == "id_number" and not p.rejected for p in invalid)
    assert ds.records["pid"].isna().sum() == 30


def test_bad_rows_are_rejected_with_line_and_reason() -> None:
    rows = [
        ROWS[0],
        "BH010,,001090000001,01/01/1990,Nam,,",  # no name
        "BH011,Võ Văn Tài,001090000002",  # too few fields
        "BH012,Võ Thị Mai,xyz,31/02/1990,X,nowhere at all,12",  # kept, several problems
        ROWS[0].replace("BH001", "BH001"),  # duplicate key
    ]
    ds = read_dataset(_csv(rows).encode(), "social_insurance", file_format="csv", today=TODAY)
    by = {(p.line, p.code): p for p in ds.problems}
    assert by[(3, "name.missing")].rejected
    assert by[(4, "row.bad_width")].rejected
    for code in (
        "id.invalid",
        "date.invalid",
        "sex.invalid",
        "address.not_recognised",
        "phone.invalid",
    ):
        assert not by[(5, code)].rejected
    assert by[(6, "row.duplicate_key")].value == "BH001"
    assert ds.lines == 5 and len(ds.records) + ds.rejected == 5
    assert ds.records["record_key"].tolist() == ["BH001", "BH012", "BH001@6"]


def test_undecodable_lines_in_a_utf8_file_are_reported() -> None:
    good = [f"K{i},Nguyễn Văn Số {i},,01/01/1990,Nam,," for i in range(40)]
    data = _csv(good).encode("utf-8")
    data += b"K99,Ng\xff\xfe\xfd\x81 V\x8d,,01/01/1990,Nam,,\n"  # not UTF-8 and not cp1258
    ds = read_dataset(data, "social_insurance", file_format="csv", today=TODAY)
    assert ds.encoding == "utf-8"
    bad = [p for p in ds.problems if p.code == "row.undecodable"]
    assert [p.line for p in bad] == [42] and bad[0].rejected
    assert len(ds.records) == 40 and ds.lines == 41


def test_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    ws.append(["BH1", "Đỗ Thị Hằng", _pid(5, 1975, "F"), date(1975, 3, 9), "Nữ", None, 912345678])
    ws.append(["BH2", "Hồ Văn Minh", int(_pid(6)), "1990", "Nam", "26743", None])
    ws.append([None] * 7)  # blank row: not data
    path = tmp_path / "list.xlsx"
    wb.save(path)
    ds = read_dataset(path, "social_insurance", today=TODAY)
    assert ds.encoding == "xlsx" and ds.lines == 2
    a, b = ds.records.iloc[0], ds.records.iloc[1]
    assert a["birth_date"] == "1975-03-09" and a["phone"] == "0912345678"
    assert b["pid"] == _pid(6)  # the number cell lost its leading zeros and got them back
    assert b["line"] == 3


def test_not_an_xlsx_file() -> None:
    with pytest.raises(ValidationFailed) as exc:
        read_dataset(b"PK not really a zip", "bank", file_format="xlsx")
    assert exc.value.code == "linkage.bad_format"


def test_parquet(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "ma_khach_hang": ["C1", "C2"],
            "ho_ten": ["Bùi Văn Hải", None],
            "so_giay_to": [_pid(7), "123456789"],
            "ngay_sinh": ["1990-02-03", "1990"],
        }
    )
    buf = io.BytesIO()
    df.to_parquet(buf)
    path = tmp_path / "bank.parquet"
    path.write_bytes(buf.getvalue())
    ds = read_dataset(path, "bank", today=TODAY)
    assert ds.encoding == "parquet" and ds.lines == 2
    assert ds.records["record_key"].tolist() == ["C1"]
    assert [(p.line, p.code, p.rejected) for p in ds.problems] == [(3, "name.missing", True)]


def test_old_cmnd_is_kept_and_reported() -> None:
    rows = ["K1,Phan Văn Hòa,123456789,1960,Nam,,"]
    ds = read_dataset(_csv(rows).encode(), "social_insurance", file_format="csv", today=TODAY)
    rec = ds.records.iloc[0]
    assert rec["id_kind"] == "cmnd9" and rec["pid"] is None and rec["id_number"] == "123456789"
    assert [p.code for p in ds.problems] == ["id.cmnd9"]


def test_old_address_is_converted_and_marked() -> None:
    rows = ['K1,Phan Văn Hòa,,1960,Nam,"Xã Tân Phú, Huyện Đồng Phú, Tỉnh Bình Phước",']
    ds = read_dataset(_csv(rows).encode(), "social_insurance", file_format="csv", today=TODAY)
    rec = ds.records.iloc[0]
    assert rec["address_legacy"] and rec["commune_code"] is not None


def test_progress_is_reported() -> None:
    rows = [f"K{i},Nguyễn Văn Số,,1990,Nam,," for i in range(12_000)]
    calls: list[tuple[str, int, int]] = []
    read_dataset(
        _csv(rows).encode(),
        "social_insurance",
        file_format="csv",
        progress=lambda *a: calls.append(a),
    )
    assert [c[1] for c in calls] == [5000, 10000]
