"""Translations: Vietnamese by default, English on request (cookie ``lang`` or ``?lang=``).

Keys are English source strings or stable error codes; a missing Vietnamese entry falls
back to the English text, and ``tests/web/test_i18n.py`` lists the templates' strings that
lack one.
"""

from __future__ import annotations

from typing import Any

from dancu.common.access import PURPOSES

LANGUAGES = ("vi", "en")

VI: dict[str, str] = {
    # Layout and navigation
    "dancu — population registry": "dancu — cơ sở dữ liệu dân cư",
    "Population registry": "Cơ sở dữ liệu dân cư",
    "Search citizens": "Tra cứu công dân",
    "Sign in": "Đăng nhập",
    "Sign out": "Đăng xuất",
    "Signed in as": "Đăng nhập với tư cách",
    "Development sign-in": "Đăng nhập thử nghiệm",
    "Development only: pick a demo officer. This page does not exist in production.": (
        "Chỉ dùng khi phát triển: chọn một cán bộ mẫu. Trang này không có trong môi trường"
        " vận hành."
    ),
    "Area": "Địa bàn",
    "nationwide": "toàn quốc",
    "Roles": "Vai trò",
    "Language": "Ngôn ngữ",
    # Search
    "Full name": "Họ và tên",
    "Birth date": "Ngày sinh",
    "Commune": "Xã/phường",
    "Any commune": "Tất cả xã/phường",
    "Purpose": "Mục đích khai thác",
    "Search": "Tìm kiếm",
    "ID number": "Số định danh cá nhân",
    "Sex": "Giới tính",
    "Status": "Tình trạng",
    "results": "kết quả",
    "No citizen matches.": "Không tìm thấy công dân phù hợp.",
    "Previous": "Trang trước",
    "Next": "Trang sau",
    "Page": "Trang",
    "Names may be typed without diacritics.": "Có thể gõ tên không dấu.",
    # Record
    "Citizen record": "Thông tin công dân",
    "Ethnicity": "Dân tộc",
    "Religion": "Tôn giáo",
    "Nationality": "Quốc tịch",
    "Place of birth": "Nơi đăng ký khai sinh",
    "Hometown": "Quê quán",
    "Permanent residence": "Nơi thường trú",
    "Temporary residence": "Nơi tạm trú",
    "Marital status": "Tình trạng hôn nhân",
    "Date of death": "Ngày mất",
    "Household": "Hộ gia đình",
    "Household number": "Số hộ",
    "Relation to head": "Quan hệ với chủ hộ",
    "ID card": "Thẻ căn cước",
    "Card number": "Số thẻ",
    "Issued on": "Ngày cấp",
    "Expires on": "Có giá trị đến",
    "No expiry": "Không thời hạn",
    "No card": "Chưa có thẻ",
    "Access history": "Lịch sử truy cập dữ liệu",
    "When": "Thời điểm",
    "Who": "Người truy cập",
    "Action": "Thao tác",
    "Organization": "Cơ quan",
    "Fields": "Trường dữ liệu",
    "Back to search": "Quay lại tra cứu",
    "Error": "Lỗi",
    # Values
    "M": "Nam",
    "F": "Nữ",
    "alive": "Còn sống",
    "deceased": "Đã mất",
    "single": "Chưa kết hôn",
    "married": "Đã kết hôn",
    "divorced": "Đã ly hôn",
    "widowed": "Góa",
    "head": "Chủ hộ",
    "spouse": "Vợ/chồng",
    "child": "Con",
    "parent": "Cha/mẹ",
    "grandchild": "Cháu",
    "grandparent": "Ông/bà",
    "sibling": "Anh/chị/em",
    "other": "Khác",
    "applied": "Đã tiếp nhận hồ sơ",
    "produced": "Đã sản xuất",
    "issued": "Đã cấp",
    "lost": "Báo mất",
    "revoked": "Đã thu hồi",
    "replaced": "Đã cấp đổi",
    "citizen.read": "Xem thông tin công dân",
    "citizen.listed": "Hiển thị trong kết quả tra cứu",
    "household.read": "Xem thông tin hộ gia đình",
    # Purposes
    "Settling an administrative procedure": "Giải quyết thủ tục hành chính",
    "Civil-status registration": "Đăng ký hộ tịch",
    "Residence management": "Quản lý cư trú",
    "ID-card issuance": "Cấp thẻ căn cước",
    "Identity verification": "Xác thực danh tính",
    "At the citizen's own request": "Theo yêu cầu của công dân",
    "Inspection and audit": "Thanh tra, kiểm tra",
    "Registry data maintenance": "Cập nhật, làm sạch dữ liệu dân cư",
    # Errors by code
    "pid.length": "Số định danh cá nhân phải gồm 12 chữ số.",
    "pid.not_digits": "Số định danh cá nhân chỉ gồm chữ số.",
    "pid.province": "Mã tỉnh nơi đăng ký khai sinh trong số định danh không hợp lệ.",
    "pid.century": "Mã thế kỷ và giới tính trong số định danh không hợp lệ.",
    "pid.birth_year_future": "Năm sinh trong số định danh nằm ở tương lai.",
    "pid.birth_mismatch": "Số định danh không khớp với năm sinh.",
    "pid.sex_mismatch": "Số định danh không khớp với giới tính.",
    "citizen.not_found": "Không tìm thấy công dân với số định danh này trong địa bàn của bạn.",
    "commune.unknown": "Mã xã/phường không tồn tại.",
    "birth_date.future": "Ngày sinh không được ở tương lai.",
    "date.invalid": "Ngày tháng phải có dạng dd/mm/yyyy.",
    "purpose.required": "Cần chọn mục đích khai thác dữ liệu.",
    "purpose.unknown": "Mục đích khai thác không hợp lệ.",
    "search.empty": "Nhập họ tên, ngày sinh hoặc chọn xã/phường để tra cứu.",
    "auth.required": "Bạn cần đăng nhập.",
    "auth.permission": "Bạn không có quyền thực hiện thao tác này.",
    "request.invalid": "Dữ liệu nhập không hợp lệ.",
}


def purpose_choices() -> list[tuple[str, str]]:
    return list(PURPOSES.items())


def translate(lang: str, key: str, default: str | None = None, **params: Any) -> str:
    text = VI.get(key) if lang == "vi" else None
    if text is None:
        text = default if default is not None else key
    return text.format(**params) if params else text


def pick_language(query_lang: str | None, cookie_lang: str | None, default: str) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    return default
