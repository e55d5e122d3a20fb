"""Vietnamese texts of the API access tokens' error codes (code -> VI)."""

VI: dict[str, str] = {
    "auth.invalid_token": "Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.",
    "auth.insufficient_scope": "Mã truy cập không có phạm vi (scope) cho giao diện này.",
    "auth.no_role": "Tài khoản hoặc ứng dụng này không được giao vai trò nào.",
    "auth.purpose_not_allowed": "Đối tác không được khai thác dữ liệu cho mục đích này.",
    "api.partner_grant": "Chỉ ứng dụng dùng client_credentials mới được gắn với đối tác",
    "api.partner_role": "Vai trò của đối tác không hợp lệ",
    "api.partner_unit": "Đơn vị hành chính không tồn tại",
    "api.partner_organization": "Cần ghi tên tổ chức của đối tác",
    "api.partner_purpose": "Mục đích khai thác không hợp lệ",
}
