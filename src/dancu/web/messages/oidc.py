"""Vietnamese texts of the oidc pages and error codes (English source string or code -> VI)."""

VI: dict[str, str] = {
    # consent page
    "Share your information": "Chia sẻ thông tin của bạn",
    "asks to see the following information from your e-ID account:": (
        "đề nghị được xem các thông tin sau từ tài khoản định danh điện tử của bạn:"
    ),
    "You can withdraw this consent later from your account page.": (
        "Bạn có thể rút lại sự đồng ý này sau, tại trang tài khoản của bạn."
    ),
    "Allow": "Đồng ý",
    "Deny": "Từ chối",
    "An identifier of your account for this service only": (
        "Một mã định danh tài khoản của bạn chỉ dùng cho dịch vụ này"
    ),
    "Your full name": "Họ, chữ đệm và tên",
    "Your date of birth": "Ngày, tháng, năm sinh",
    "Your sex": "Giới tính",
    "Your personal identification number (12 digits)": "Số định danh cá nhân (12 chữ số)",
    "Your permanent residence address": "Nơi thường trú",
    # the sign-in links in the page header
    "Demo officers": "Cán bộ thử nghiệm",
    # purposes
    "Released to a service the citizen signed in to, with consent": (
        "Cung cấp cho dịch vụ mà công dân đăng nhập, có sự đồng ý của công dân"
    ),
    # error codes
    "keys.alg": "Thuật toán ký không được hỗ trợ",
    "oidc.client_exists": "Đã có ứng dụng với mã này",
    "oidc.client_unknown": "Không tìm thấy ứng dụng",
    "oidc.client_auth_method": "Phương thức xác thực ứng dụng không hợp lệ",
    "oidc.client_grant": "Loại cấp quyền không hợp lệ",
    "oidc.client_scope": "Phạm vi truy cập không hợp lệ",
    "oidc.client_redirect": "Địa chỉ chuyển hướng không hợp lệ",
    "oidc.client_acr": "Mức xác thực không hợp lệ",
    "oidc.client_fapi2": "Ứng dụng FAPI 2.0 phải xác thực bằng private_key_jwt",
    "oidc.client_subject": "Kiểu định danh chủ thể không hợp lệ",
    "oidc.client_jwks": "Bộ khóa công khai (JWKS) của ứng dụng không hợp lệ",
    "oidc.invalid_client": "Ứng dụng không hợp lệ hoặc chưa được đăng ký",
    "oidc.invalid_request": "Yêu cầu xác thực không hợp lệ",
    "oidc.invalid_request_uri": "Yêu cầu đã hết hạn hoặc đã được sử dụng",
    "oidc.unsupported_response_type": "Kiểu phản hồi không được hỗ trợ",
    "oidc.unauthorized_client": "Ứng dụng không được phép dùng kiểu yêu cầu này",
    "oidc.invalid_scope": "Phạm vi truy cập không hợp lệ",
    # The sample relying party (demo/rp_pages.py)
    "Sample public-service portal": "Cổng dịch vụ công mẫu",
    "A relying party of the e-ID provider, as a ministry's or a province's portal would be.": (
        "Một bên sử dụng dịch vụ xác thực định danh điện tử, như cổng dịch vụ công của một bộ"
        " hay một tỉnh."
    ),
    "Sign-in failed": "Đăng nhập không thành công",
    "Signed in with e-ID": "Đã đăng nhập bằng tài khoản định danh điện tử",
    "Assurance level": "Mức độ bảo đảm",
    "Sign in with e-ID": "Đăng nhập bằng tài khoản định danh điện tử",
    "Sign in with e-ID at level 2": "Đăng nhập bằng tài khoản định danh điện tử mức 2",
}
