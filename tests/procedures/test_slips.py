"""The Circular 01/2018 slips: valid PDFs whose Vietnamese text reads back as written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dancu.procedures.documents import slips
from tests.procedures.pdf_text import pdf_text

RECEIVED = datetime(2026, 12, 3, 2, 30, tzinfo=UTC)  # 09:30 in Hà Nội


def dossier(**changes) -> slips.SlipDossier:
    values = dict(
        code="000.00.31.H26-261203-0001",
        procedure_name="Đăng ký khai sinh",
        agency="Ủy ban nhân dân phường Hoàn Kiếm",
        parent_agency="UBND Thành phố Hà Nội",
        place="Phường Hoàn Kiếm",
        applicant_name="Nguyễn Thị Hương",
        applicant_address="Số 12 phố Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội",
        applicant_phone="0912345678",
        received_at=RECEIVED,
        due_on=date(2026, 12, 8),
        receiving_officer="Trần Văn Đức",
        components=(
            slips.Component("Tờ khai đăng ký khai sinh", originals=1),
            slips.Component("Giấy chứng sinh", originals=1),
        ),
        return_method="Nhận trực tuyến vào ví giấy tờ",
        steps=(
            slips.ControlStep(
                "Bộ phận Một cửa — Trần Văn Đức",
                "Công chức tư pháp — hộ tịch — Lê Thị Ánh",
                RECEIVED,
                due_on=date(2026, 12, 7),
                done_at=datetime(2026, 12, 4, 8, tzinfo=UTC),
            ),
            slips.ControlStep(
                "Công chức tư pháp — hộ tịch — Lê Thị Ánh",
                "Lãnh đạo UBND phường — Phạm Quốc Việt",
                datetime(2026, 12, 4, 8, tzinfo=UTC),
                due_on=date(2026, 12, 7),
                done_at=datetime(2026, 12, 9, 8, tzinfo=UTC),
            ),
        ),
    )
    values.update(changes)
    return slips.SlipDossier(**values)


def text(data: bytes) -> str:
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    return pdf_text(data)


def test_the_receipt_and_appointment_reads_back_in_vietnamese():
    got = text(slips.receipt(dossier()))
    for expected in (
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Tiếp nhận hồ sơ của: Nguyễn Thị Hương",
        "Phường Hoàn Kiếm, ngày 03 tháng 12 năm 2026",
        "Thời gian nhận hồ sơ: 09 giờ 30 phút, ngày 03 tháng 12 năm 2026",
        "Thời gian trả kết quả giải quyết hồ sơ: ngày 08/12/2026",
        "Giấy chứng sinh",
        "Trần Văn Đức",
        "ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM",
    ):
        assert expected in got, expected


def test_the_fonts_are_embedded_so_no_reader_needs_its_own():
    data = slips.receipt(dossier())
    assert b"/FontFile2" in data
    assert b"DejaVuSans" in data


def test_the_supplement_request_lists_what_is_missing():
    got = text(
        slips.supplement_request(
            dossier(),
            ["Bản sao Giấy chứng nhận kết hôn của cha mẹ", "Giấy chứng sinh bản chính"],
            reason="Giấy chứng sinh nộp kèm là bản chụp, không rõ chữ.",
        )
    )
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in got
    assert "1. Bản sao Giấy chứng nhận kết hôn của cha mẹ" in got
    assert "2. Giấy chứng sinh bản chính" in got


def test_the_refusal_gives_its_reason():
    got = text(slips.refusal(dossier(), "Hồ sơ không thuộc thẩm quyền giải quyết của phường."))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in got
    assert "Hồ sơ không thuộc thẩm quyền giải quyết của phường." in got


def test_the_apology_names_the_new_date():
    got = text(
        slips.apology(
            dossier(),
            "Cần xác minh thêm thông tin nơi sinh.",
            date(2026, 12, 11),
            signer="Phạm Quốc Việt",
            issued_at=datetime(2026, 12, 9, 3, tzinfo=UTC),
        )
    )
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in got
    assert "Phường Hoàn Kiếm, ngày 09 tháng 12 năm 2026" in got
    assert "ngày 11/12/2026" in got
    assert "Phạm Quốc Việt" in got


def test_the_control_slip_marks_each_step_on_time_or_late():
    got = text(slips.control_slip(dossier()))
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in got
    lines = got.splitlines()
    assert lines.count("Đúng hạn") == 1
    assert lines.count("Quá hạn") == 1
    assert "Phạm Quốc Việt" in lines  # a cell wraps its text inside its column


@pytest.mark.parametrize("name", ["Nguyễn Thị Hương", "Đặng Ngọc Ẩn", "Hồ Thị Thủy Tiên"])
def test_names_with_every_kind_of_diacritic_round_trip(name):
    assert f"Tiếp nhận hồ sơ của: {name}" in text(slips.receipt(dossier(applicant_name=name)))


def test_a_long_procedure_name_wraps_instead_of_running_off_the_page():
    long = "Thủ tục liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế " * 3
    data = slips.receipt(dossier(procedure_name=long.strip()))
    got = text(data)
    assert "Nội dung yêu cầu giải quyết: Thủ tục liên thông" in got
    assert long.strip() not in got.splitlines()  # split over several lines
