"""Exports: the cleaned dataset, and the import problems sent back to the sector agency."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import Actor, Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import Forbidden, NotFound
from dancu.common.pid import make_pid
from dancu.linkage import cleaning, exports, normalize, service
from dancu.linkage.api import vietnamese_reason
from dancu.web.i18n import translate
from tests.conftest import make_actor
from tests.linkage import world as wd

PID = make_pid(province_code="066", birth_date=date(1990, 5, 17), sex="M", serial=7)
PROBLEM_FILE = (
    "\n".join(
        [
            "ma_so_bhxh,ho_ten,so_cccd,ngay_sinh,gioi_tinh,dia_chi,so_dien_thoai",
            f"BH1,Nguyễn Văn An,{PID},17/05/1990,Nam,{wd.COMMUNE_A},0912345678",
            "BH2,,001090000001,01/01/1990,Nam,,",  # no name: rejected
            "BH3,Võ Văn Tài,001090000002",  # three fields of seven: rejected
            "BH4,Võ Thị Mai,12345,31/02/1990,Nữ,,12",  # kept with an ID, a date and a phone problem
        ]
    )
    + "\n"
)


def _import(session: Session, text: str, source_type: str = "social_insurance") -> int:
    out = service.import_dataset(
        session,
        text.encode(),
        file_name="bhxh.csv",
        source_type=source_type,
        province_code=wd.PROVINCE,
        actor=wd.clerk(),
        today=wd.TODAY,
    )
    return out.source.id


def problems_csv(session: Session, source_id: int, *, actor: Actor) -> bytes:
    return exports.problems_csv(session, source_id, actor=actor, reason=vietnamese_reason)


def problem_rows(session: Session, source_id: int, *, actor: Actor) -> tuple[list[str], list]:  # type: ignore[type-arg]
    return exports.problem_rows(session, source_id, actor=actor, reason=vietnamese_reason)


def _audits(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_problems_export_lists_every_problem_by_line_with_the_vietnamese_reason(factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        source_id = _import(session, PROBLEM_FILE)
        data = problems_csv(session, source_id, actor=wd.clerk())
        assert data.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        header, *rows = list(reader)
        assert header == [
            "dong",
            "cot",
            "ma_loi",
            "ly_do",
            "gia_tri",
            "dong_bi_loai",
            "ma_so_bhxh",
            "ho_ten",
            "so_cccd",
            "ngay_sinh",
            "gioi_tinh",
            "dia_chi",
            "so_dien_thoai",
        ]
        by = {(r[0], r[2]): dict(zip(header, r, strict=True)) for r in rows}
        assert sorted(by) == [
            ("3", "name.missing"),
            ("4", "row.bad_width"),
            ("5", "date.invalid"),
            ("5", "id.invalid"),
            ("5", "phone.invalid"),
        ]
        missing = by[("3", "name.missing")]
        assert (missing["cot"], missing["ly_do"], missing["dong_bi_loai"]) == (
            "ho_ten",
            "Thiếu họ và tên.",
            "có",
        )
        assert missing["ma_so_bhxh"] == ""  # a rejected line's values are not kept
        width = by[("4", "row.bad_width")]
        assert (width["cot"], width["gia_tri"]) == ("", "3 fields, 7 expected")
        assert width["ly_do"] == "Dòng có số cột không khớp với dòng tiêu đề."
        bad_id = by[("5", "id.invalid")]
        assert (bad_id["cot"], bad_id["gia_tri"], bad_id["dong_bi_loai"]) == (
            "so_cccd",
            "12345",
            "không",
        )
        assert bad_id["ly_do"] == "Số định danh không hợp lệ."
        assert (bad_id["ho_ten"], bad_id["ngay_sinh"]) == ("Võ Thị Mai", "31/02/1990")
        [entry] = _audits(session, "linkage.export_problems")
        assert (entry.subject_type, entry.subject_id, entry.actor_id) == (
            "linkage_source",
            str(source_id),
            wd.clerk().id,
        )
        assert entry.fields == ["birth_date", "id_number", "phone", "raw", "count=5"]


def test_problems_without_personal_data_are_exported_without_an_audit_entry(factory) -> None:  # type: ignore[no-untyped-def]
    text = "ma_so_bhxh,ho_ten,so_cccd\nBH1,Nguyễn Văn An,\nBH2,Lê Văn Bình\n"
    with factory() as session:
        source_id = _import(session, text)
        header, rows = problem_rows(session, source_id, actor=wd.clerk())
        assert [r[:3] for r in rows] == [[3, None, "row.bad_width"]]
        assert header == list(exports.PROBLEM_COLUMNS)  # no kept line had a problem
        assert _audits(session, "linkage.export_problems") == []
        # with a kept line's values, the same export is audited
        source_id = _import(session, text.replace("BH2,Lê Văn Bình", "BH2,Lê Văn Bình,123"))
        problem_rows(session, source_id, actor=wd.clerk())
        [entry] = _audits(session, "linkage.export_problems")
        assert entry.fields == ["id_number", "raw", "count=1"]


def test_problems_export_is_for_officers_of_the_province_only(factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        source_id = _import(session, PROBLEM_FILE)
        with pytest.raises(Forbidden):
            problems_csv(session, source_id, actor=wd.commune_clerk(wd.COMMUNE_A))
        with pytest.raises(Forbidden):
            problems_csv(
                session, source_id, actor=make_actor(Role.COMMUNE_LEADER, units=(wd.PROVINCE,))
            )
        with pytest.raises(NotFound):
            problems_csv(session, source_id, actor=make_actor(Role.REGISTRY_CLERK, units=("01",)))
        assert _audits(session, "linkage.export_problems") == []


def test_every_problem_code_has_a_vietnamese_reason() -> None:
    codes = set(
        re.findall(
            r'"((?:name|date|address|phone|id|sex)\.[a-z_0-9]+)"',
            Path(normalize.__file__).read_text(encoding="utf-8"),
        )
    )
    codes |= {"row.bad_width", "row.undecodable", "row.duplicate_key"}
    assert {"id.invalid", "date.day_month_swapped", "address.legacy_uncertain"} <= codes
    untranslated = sorted(c for c in codes if translate("vi", c) == c)
    assert untranslated == []


def test_export_fills_in_the_id_numbers(factory, linked) -> None:  # type: ignore[no-untyped-def]
    w, source_id = linked
    with factory() as session:
        item = next(i for i in cleaning.queue(session, actor=wd.clerk()).items if i.line == 5)
        cleaning.correct(session, item.result_id, "full_name", "Phạm Thị Dung", actor=wd.clerk())
        data = exports.export_csv(session, source_id, actor=wd.clerk())
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert len(rows) == 216
        by_key = {r["ma_so_bhxh"]: r for r in rows}
        assert by_key["BH001"]["so_dinh_danh_ca_nhan"] == w.pid(0)
        assert by_key["BH003"]["so_cccd"] == w.pid(2)  # matched despite the birth-date typo
        assert by_key["BH003"]["ket_qua_dong_bo"] == "synced_with_differences"
        assert by_key["BH004"]["ho_ten"] == "Phạm Thị Dung"  # the officer's correction
        assert by_key["BH004"]["ket_qua_dong_bo"] == "synced"
        assert by_key["BH006"]["so_dinh_danh_ca_nhan"] == ""  # not found: nothing invented
        filled = [r for r in rows if r["so_dinh_danh_ca_nhan"]]
        assert len(filled) == 215
        book = load_workbook(io.BytesIO(exports.export_xlsx(session, source_id, actor=wd.clerk())))
        sheet = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
        assert sheet[0][-2:] == ("so_dinh_danh_ca_nhan", "ket_qua_dong_bo")
        assert sheet[1][sheet[0].index("so_dinh_danh_ca_nhan")] == w.pid(0)
        entries = _audits(session, "linkage.export")
        assert [e.fields for e in entries] == [["pid", "count=215"]] * 2
        with pytest.raises(Forbidden):
            exports.export_csv(session, source_id, actor=wd.commune_clerk(wd.COMMUNE_A))


# A sector agency's file whose cells a spreadsheet would run as formulas.
FORMULA_FILE = (
    "\n".join(
        [
            "ma_so_bhxh,ho_ten,so_cccd,ngay_sinh,gioi_tinh,dia_chi,so_dien_thoai,@ghi_chu",
            f'BH1,"=HYPERLINK(""http://x"",""y"")",{PID},17/05/1990,Nam,{wd.COMMUNE_A},@SUM(1),＝1+1',
            f"BH2,Nguyễn Văn An,{PID},17/05/1990,Nam,{wd.COMMUNE_A},-2+3,+SUM(2)",
        ]
    )
    + "\n"
)
HYPERLINK = '=HYPERLINK("http://x","y")'


def test_formula_like_cells_are_neutralised_in_csv_and_xlsx(factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        source_id = _import(session, FORMULA_FILE)
        data = exports.export_csv(session, source_id, actor=wd.clerk())
        header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert header[7] == "'@ghi_chu"
        by_key = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
        assert by_key["BH1"]["ho_ten"] == "'" + HYPERLINK
        assert (by_key["BH1"]["so_dien_thoai"], by_key["BH1"]["'@ghi_chu"]) == (
            "'@SUM(1)",
            "'＝1+1",
        )
        assert (by_key["BH2"]["so_dien_thoai"], by_key["BH2"]["'@ghi_chu"]) == ("'-2+3", "'+SUM(2)")
        assert by_key["BH2"]["ho_ten"] == "Nguyễn Văn An"  # ordinary values are unchanged
        assert by_key["BH1"]["dia_chi"] == wd.COMMUNE_A

        book = load_workbook(io.BytesIO(exports.export_xlsx(session, source_id, actor=wd.clerk())))
        cells = list(book.active.iter_rows())  # type: ignore[union-attr]
        assert [c.data_type for row in cells for c in row if c.data_type == "f"] == []
        names = [c.value for c in cells[0]]
        assert names[7] == "'@ghi_chu"
        first = {n: c for n, c in zip(names, cells[1], strict=True)}
        assert (first["ho_ten"].value, first["ho_ten"].data_type) == ("'" + HYPERLINK, "s")
        assert first["so_dien_thoai"].value == "'@SUM(1)"
        second = {n: c.value for n, c in zip(names, cells[2], strict=True)}
        assert (second["ho_ten"], second["so_dien_thoai"]) == ("Nguyễn Văn An", "'-2+3")

        # the problems sent back to the agency: the offending value and the line's values
        data = problems_csv(session, source_id, actor=wd.clerk())
        header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert header[-1] == "'@ghi_chu"
        phone = {r[0]: dict(zip(header, r, strict=True)) for r in rows if r[2] == "phone.invalid"}
        assert phone["2"]["gia_tri"] == "'@SUM(1)"
        assert phone["2"]["ho_ten"] == "'" + HYPERLINK
        assert phone["3"]["gia_tri"] == "'-2+3"
        assert phone["3"]["ho_ten"] == "Nguyễn Văn An"


def test_neutralise_leaves_numbers_and_ordinary_text_alone() -> None:
    assert [exports.neutralise(v) for v in (-5, 3.5, None, "Võ Thị Mai", "0912345678")] == [
        -5,
        3.5,
        None,
        "Võ Thị Mai",
        "0912345678",
    ]
    assert exports.to_csv(["dong"], [[-5, "=1"]]).decode("utf-8-sig").splitlines() == [
        "dong",
        "-5,'=1",
    ]
