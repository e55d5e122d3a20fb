"""Translations: Vietnamese by default, English on request (cookie ``lang`` or ``?lang=``).

Keys are English source strings or stable error codes; a missing Vietnamese entry falls
back to the English text, and ``tests/web/test_i18n.py`` lists the templates' strings that
lack one.
"""

from __future__ import annotations

from typing import Any

from dancu.common.access import PURPOSES
from dancu.web.messages import api, identity, linkage, oidc, wallet

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
    "Officer": "Cán bộ",
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
    "When": "Thời điểm",
    "Who": "Người truy cập",
    "Action": "Thao tác",
    "Organization": "Cơ quan",
    "Fields": "Trường dữ liệu",
    "Back to search": "Quay lại tra cứu",
    "Back": "Quay lại",
    "Error": "Lỗi",
    "Read for the purpose": "Khai thác cho mục đích",
    "Access history": "Lịch sử truy cập dữ liệu",
    "Every read of this record is logged; the citizen can see this list.": (
        "Mọi lần truy cập hồ sơ này đều được ghi lại; công dân có thể xem danh sách này."
    ),
    "No access recorded yet.": "Chưa có lượt truy cập nào.",
    "Example": "Ví dụ",
    "Switch language": "Chuyển ngôn ngữ",
    "Main navigation": "Điều hướng chính",
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
    # Audit actions
    "citizen.read": "Xem thông tin công dân",
    "citizen.read_refused": "Tra cứu không thành công (không có hoặc ngoài địa bàn)",
    "citizen.listed": "Hiển thị trong kết quả tra cứu",
    "household.read": "Xem thông tin hộ gia đình",
    "card.applied": "Tiếp nhận hồ sơ cấp thẻ căn cước",
    "card.produced": "Sản xuất thẻ căn cước",
    "card.issued": "Cấp thẻ căn cước",
    "card.lost": "Báo mất thẻ căn cước",
    "card.revoked": "Thu hồi thẻ căn cước",
    "card.replaced": "Cấp đổi thẻ căn cước",
    "civil_status.birth": "Đăng ký khai sinh",
    "civil_status.death": "Đăng ký khai tử",
    "civil_status.marriage": "Đăng ký kết hôn",
    "civil_status.divorce": "Ghi chú ly hôn",
    "civil_status.residence_change": "Đăng ký thay đổi nơi cư trú",
    # Roles
    "registry_clerk": "Cán bộ tư pháp – hộ tịch",
    "police": "Công an",
    "procedure_officer": "Cán bộ một cửa",
    "commune_leader": "Lãnh đạo UBND xã/phường",
    "steering_viewer": "Ban Chỉ đạo Đề án 06",
    "partner_admin": "Quản trị đơn vị đối tác",
    "system": "Hệ thống",
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
    "date.invalid": (
        "Ngày tháng phải là một ngày có thật, viết theo dạng dd/mm/yyyy (ví dụ: 17/05/1990)."
    ),
    "purpose.required": "Cần chọn mục đích khai thác dữ liệu.",
    "purpose.unknown": "Mục đích khai thác không hợp lệ.",
    "search.empty": "Nhập họ tên, ngày sinh hoặc chọn xã/phường để tra cứu.",
    "auth.required": "Bạn cần đăng nhập.",
    "auth.permission": "Bạn không có quyền thực hiện thao tác này.",
    "auth.forbidden": "Bạn không có quyền thực hiện thao tác này.",
    "auth.unknown_officer": "Không có cán bộ mẫu này. Hãy chọn một cán bộ trong danh sách.",
    "request.invalid": "Dữ liệu nhập không hợp lệ.",
    "not_found": "Không tìm thấy trang hoặc dữ liệu yêu cầu.",
    "validation": "Dữ liệu nhập không hợp lệ.",
    "error": "Đã xảy ra lỗi; vui lòng thử lại.",
    "conflict": "Thao tác xung đột với dữ liệu hiện có; vui lòng tải lại và thử lại.",
    "state.invalid": "Không thể thực hiện thao tác này ở trạng thái hiện tại.",
    "paging.invalid": "Số trang phải từ 1 trở lên.",
    "birth_date.too_old": "Ngày sinh quá xa trong quá khứ (trước năm 1900).",
    "birth_date.invalid": "Ngày sinh không hợp lệ.",
    "household.not_found": "Công dân không thuộc hộ gia đình nào.",
    "name.invalid": "Họ và tên có từ 2 đến 120 ký tự và không chứa chữ số.",
    "text.too_long": "Nội dung dài quá mức cho phép.",
    "mrz.shape": "Vùng đọc máy (MRZ) của thẻ gồm ba dòng, mỗi dòng 30 ký tự.",
    "mrz.character": "Vùng đọc máy chỉ chứa chữ in hoa A-Z, chữ số và dấu <.",
    "mrz.check_digit": "Số kiểm tra trong vùng đọc máy không khớp.",
    "mrz.sex": "Giới tính trong vùng đọc máy phải là M, F hoặc <.",
    "mrz.date": "Ngày trong vùng đọc máy không hợp lệ.",
    "nationality.invalid": "Quốc tịch là mã quốc gia hai chữ cái, ví dụ VN.",
    "sex.invalid": "Giới tính phải là Nam (M) hoặc Nữ (F).",
    "pid.duplicate": "Số định danh cá nhân này đã được đăng ký.",
    "birth.no_parent": "Cần ít nhất số định danh của cha hoặc mẹ.",
    "birth.parent_younger": "Cha/mẹ không thể sinh sau con.",
    "birth.parent_sex": "Người mẹ phải là nữ và người cha phải là nam.",
    "birth.pid_taken": "Số định danh vừa được cấp cho một trường hợp khai sinh khác; hãy thử lại.",
    "idempotency.key_reused": "Khóa chống gửi trùng này đã được dùng cho một yêu cầu khác.",
    "idempotency.in_progress": "Một yêu cầu với khóa chống gửi trùng này đang được xử lý.",
    "household.head_exists": "Hộ gia đình này đã có chủ hộ.",
    "divorced_on.before_marriage": "Ngày ly hôn không được trước ngày đăng ký kết hôn.",
    "card.transition_date": "Ngày thực hiện phải nằm giữa ngày của bước trước và hôm nay.",
    "death.already_registered": "Công dân này đã được đăng ký khai tử.",
    "death_date.future": "Ngày mất không được ở tương lai.",
    "death_date.before_birth": "Ngày mất không được trước ngày sinh.",
    "moved_on.future": "Ngày chuyển đến không được ở tương lai.",
    "moved_on.before_birth": "Ngày chuyển đến không được trước ngày sinh.",
    "married_on.future": "Ngày đăng ký kết hôn không được ở tương lai.",
    "married_on.before_birth": "Ngày đăng ký kết hôn không được trước ngày sinh.",
    "divorced_on.future": "Ngày ly hôn không được ở tương lai.",
    "divorced_on.before_birth": "Ngày ly hôn không được trước ngày sinh.",
    "marriage.already_married": "Một trong hai người đang có vợ/chồng.",
    "marriage.deceased": "Không thể đăng ký kết hôn cho người đã mất.",
    "marriage.same_person": "Hai bên kết hôn phải là hai người khác nhau.",
    "marriage.same_sex": "Luật Hôn nhân và gia đình chưa cho phép đăng ký kết hôn cùng giới.",
    "marriage.under_age": "Chưa đủ tuổi kết hôn (nam từ đủ 20 tuổi, nữ từ đủ 18 tuổi).",
    "divorce.not_married": "Hai người này không phải là vợ chồng.",
    "residence.deceased": "Không thể đăng ký cư trú cho người đã mất.",
    "card.action": "Thao tác với thẻ căn cước không hợp lệ.",
    "card.date": "Ngày nộp hồ sơ cấp thẻ không hợp lệ.",
    "card.exists": "Công dân đang có thẻ căn cước còn hiệu lực.",
    "card.holder_deceased": "Không thể cấp thẻ cho người đã mất.",
    "card.in_progress": "Đang có một hồ sơ cấp thẻ chưa hoàn thành.",
    "card.not_found": "Không tìm thấy thẻ căn cước.",
    "card.transition": "Trạng thái hiện tại của thẻ không cho phép thao tác này.",
    "import.columns": "Tệp nhập thiếu cột bắt buộc.",
    "import.csv": "Tệp CSV không đọc được.",
    "import.empty": "Tệp nhập không có dữ liệu.",
    "import.encoding": "Tệp nhập phải được mã hóa UTF-8.",
    "import.format": "Định dạng tệp nhập không được hỗ trợ (chỉ CSV hoặc Parquet).",
    "import.parquet": "Tệp Parquet không đọc được.",
    "import.row_shape": "Một dòng trong tệp nhập có số cột không đúng.",
}
for _domain in (identity, oidc, wallet, linkage, api):
    VI.update(_domain.VI)


# The label of each form field an error can name (``DancuError.field``).
FIELD_LABELS: dict[str, str] = {
    "name": "Full name",
    "full_name": "Full name",
    "birth_date": "Birth date",
    "commune_code": "Commune",
    "purpose": "Purpose",
    "page": "Page",
    "pid": "ID number",
    "officer": "Officer",
}

# English wording for the stored codes that pages show (sex, statuses, relations, audit
# actions, roles); English source strings need no entry.
EN: dict[str, str] = {
    "M": "Male",
    "F": "Female",
    "alive": "Alive",
    "deceased": "Deceased",
    "single": "Single",
    "married": "Married",
    "divorced": "Divorced",
    "widowed": "Widowed",
    "head": "Head of household",
    "spouse": "Spouse",
    "child": "Child",
    "parent": "Parent",
    "grandchild": "Grandchild",
    "grandparent": "Grandparent",
    "sibling": "Sibling",
    "other": "Other",
    "applied": "Application received",
    "produced": "Produced",
    "issued": "Issued",
    "lost": "Reported lost",
    "revoked": "Revoked",
    "replaced": "Replaced",
    "citizen.read": "Viewed the record",
    "citizen.read_refused": "Look-up refused (unknown or outside the area)",
    "citizen.listed": "Listed in search results",
    "household.read": "Viewed the household",
    "card.applied": "ID-card application received",
    "card.produced": "ID card produced",
    "card.issued": "ID card issued",
    "card.lost": "ID card reported lost",
    "card.revoked": "ID card revoked",
    "card.replaced": "ID card replaced",
    "civil_status.birth": "Birth registered",
    "civil_status.death": "Death registered",
    "civil_status.marriage": "Marriage registered",
    "civil_status.divorce": "Divorce recorded",
    "civil_status.residence_change": "Change of residence registered",
    "registry_clerk": "Civil-status clerk",
    "police": "Police",
    "procedure_officer": "One-stop-shop officer",
    "commune_leader": "Commune leader",
    "steering_viewer": "Project 06 steering committee",
    "partner_admin": "Partner administrator",
    "system": "System",
}


def purpose_choices() -> list[tuple[str, str]]:
    return list(PURPOSES.items())


def translate(lang: str, key: str, default: str | None = None, **params: Any) -> str:
    """``key`` in ``lang``; else ``default`` (an English message), else the key itself."""
    table = VI if lang == "vi" else EN
    text = table.get(key)
    if text is None:
        text = default if default is not None else key
    return text.format(**params) if params else text


def pick_language(query_lang: str | None, cookie_lang: str | None, default: str) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    return default
