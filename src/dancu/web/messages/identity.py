"""Vietnamese texts of the identity pages and error codes (English source string or code -> VI)."""

VI: dict[str, str] = {}

# --- Pages, passkeys and the CSRF guard (identity/pages/, identity/passkeys.py, web/csrf.py)
VI.update(
    {
        # Navigation and shared words
        "Electronic identity": "Định danh điện tử",
        "My account": "Tài khoản của tôi",
        "Document wallet": "Ví giấy tờ",
        "Sign in with e-ID": "Đăng nhập bằng tài khoản định danh điện tử",
        "Register an e-ID account": "Đăng ký tài khoản định danh điện tử",
        "Continue": "Tiếp tục",
        "Confirm": "Xác nhận",
        "Code": "Mã xác nhận",
        "Level": "Mức",
        "Address": "Địa chỉ IP",
        "Remove": "Gỡ bỏ",
        "Register": "Đăng ký",
        "Find": "Tìm",
        "Session": "Phiên đăng nhập",
        "Passkey": "Khóa truy cập",
        # Field labels
        "Phone number": "Số điện thoại",
        "E-mail address": "Địa chỉ thư điện tử",
        "Password": "Mật khẩu",
        "Repeat the password": "Nhập lại mật khẩu",
        "New password": "Mật khẩu mới",
        "Face photo": "Ảnh chân dung",
        "Second factor": "Yếu tố xác thực thứ hai",
        "Machine-readable zone": "Vùng đọc máy (MRZ)",
        "Chip data": "Dữ liệu chip",
        "Face check": "Đối chiếu khuôn mặt",
        "Passkey name": "Tên khóa truy cập",
        # Registration
        "Level 1: your data must match the population registry. Level 2 is granted afterwards"
        " by the police of your commune, with your chip ID card.": (
            "Mức 1: thông tin của bạn phải khớp với Cơ sở dữ liệu quốc gia về dân cư. Mức 2 do"
            " công an xã/phường nơi bạn cư trú cấp sau, khi bạn mang thẻ căn cước gắn chip đến."
        ),
        "At least 10 characters; not your ID number or phone number.": (
            "Ít nhất 10 ký tự; không dùng số định danh hoặc số điện thoại của bạn."
        ),
        "Confirm your phone": "Xác nhận số điện thoại",
        "We sent a 6-digit code by SMS to the phone you gave. Enter it within 5 minutes.": (
            "Chúng tôi đã gửi mã gồm 6 chữ số qua SMS đến số điện thoại bạn khai. Hãy nhập mã"
            " trong vòng 5 phút."
        ),
        "Send a new code": "Gửi lại mã mới",
        "A new code is on its way.": "Mã mới đang được gửi đến bạn.",
        "Your e-ID account is active": "Tài khoản định danh điện tử của bạn đã được kích hoạt",
        "Your account is at level 1. To reach level 2, bring your chip ID card to the police"
        " of your commune.": (
            "Tài khoản của bạn ở mức 1. Để lên mức 2, hãy mang thẻ căn cước gắn chip đến công an"
            " xã/phường nơi bạn cư trú."
        ),
        # Sign-in and step-up
        "Forgot your password?": "Quên mật khẩu?",
        "Sign in with a passkey": "Đăng nhập bằng khóa truy cập (passkey)",
        "Use a passkey": "Dùng khóa truy cập (passkey)",
        "Code from your authenticator app": "Mã từ ứng dụng xác thực",
        "Code sent by SMS": "Mã gửi qua SMS",
        "Send me a code by SMS": "Gửi mã cho tôi qua SMS",
        "The passkey was not accepted.": "Khóa truy cập không được chấp nhận.",
        "Confirm it is you (level 2)": "Xác thực lại để dùng mức 2",
        "This service asks for level 2. Confirm with your authenticator app or a passkey.": (
            "Dịch vụ này yêu cầu mức 2. Hãy xác thực bằng ứng dụng xác thực hoặc khóa truy cập."
        ),
        "Bring your chip ID card to the police of your commune to raise your account to level 2.": (
            "Hãy mang thẻ căn cước gắn chip đến công an xã/phường nơi bạn cư trú để nâng tài"
            " khoản lên mức 2."
        ),
        "Add an authenticator app or a passkey in My account first.": (
            "Trước hết hãy thêm ứng dụng xác thực hoặc khóa truy cập trong Tài khoản của tôi."
        ),
        # Recovery
        "Recover your account": "Khôi phục tài khoản",
        "Recovery sets a new password and signs out every session. A level-2 account returns"
        " to level 1 until the police desk raises it again.": (
            "Khôi phục tài khoản sẽ đặt mật khẩu mới và đăng xuất mọi phiên. Tài khoản mức 2 trở"
            " về mức 1 cho đến khi công an nâng lại mức."
        ),
        "If the data match an account, a code is on its way to its phone.": (
            "Nếu thông tin khớp với một tài khoản, mã xác nhận đang được gửi đến số điện thoại"
            " của tài khoản đó."
        ),
        "Set the new password": "Đặt mật khẩu mới",
        "Your new password is set. Sign in with it.": (
            "Mật khẩu mới đã được đặt. Hãy đăng nhập bằng mật khẩu mới."
        ),
        # My account
        "Account level": "Mức tài khoản",
        "This session": "Phiên hiện tại",
        "Children under 14": "Con dưới 14 tuổi",
        "Signed-in sessions": "Các phiên đăng nhập",
        "Signed in": "Đăng nhập lúc",
        "Last seen": "Hoạt động gần nhất",
        "Browser": "Trình duyệt",
        "This browser": "Trình duyệt này",
        "Sign out this session": "Đăng xuất phiên này",
        "Passkeys": "Khóa truy cập (passkey)",
        "Added": "Thêm lúc",
        "Last used": "Dùng gần nhất",
        "No passkey yet.": "Chưa có khóa truy cập nào.",
        "My passkey": "Khóa truy cập của tôi",
        "Add a passkey": "Thêm khóa truy cập",
        "Authenticator app": "Ứng dụng xác thực",
        "An authenticator app is set up for this account.": (
            "Tài khoản này đã được gắn ứng dụng xác thực."
        ),
        "Scan this code with your authenticator app, then enter the 6-digit code it shows.": (
            "Quét mã này bằng ứng dụng xác thực, rồi nhập mã 6 chữ số ứng dụng hiển thị."
        ),
        "Or type this key": "Hoặc nhập khóa này",
        "Set up an authenticator app": "Thiết lập ứng dụng xác thực",
        "Who accessed my data": "Ai đã truy cập dữ liệu của tôi",
        "Services I let see my data": "Các dịch vụ được tôi cho phép xem dữ liệu",
        "Service": "Dịch vụ",
        "Shared": "Thông tin chia sẻ",
        "Since": "Từ lúc",
        "Withdraw": "Rút lại",
        "No service has your consent.": "Chưa có dịch vụ nào được bạn cho phép.",
        "identity.consent_unknown": "Không tìm thấy sự đồng ý này.",
        "Every read of your registry record is logged; this is that log.": (
            "Mọi lần truy cập hồ sơ dân cư của bạn đều được ghi lại; đây là nhật ký đó."
        ),
        "Usage history": "Lịch sử sử dụng",
        "Event": "Sự kiện",
        # Children
        "A parent or guardian with a level-2 account registers a child under 14 under their"
        " own account.": (
            "Cha, mẹ hoặc người giám hộ có tài khoản mức 2 đăng ký cho con dưới 14 tuổi dưới tài"
            " khoản của mình."
        ),
        "No child registered.": "Chưa đăng ký cho con nào.",
        "Register a child": "Đăng ký cho con",
        # Desk
        "Level-2 activation desk": "Quầy kích hoạt tài khoản mức 2",
        "Machine-readable zone (3 lines of 30 characters)": (
            "Vùng đọc máy MRZ (3 dòng, mỗi dòng 30 ký tự)"
        ),
        "Chip data from the card reader (optional)": "Dữ liệu chip từ đầu đọc thẻ (không bắt buộc)",
        "I compared the person with this photo and with the card": (
            "Tôi đã đối chiếu người đến làm thủ tục với ảnh này và với thẻ"
        ),
        "Raise to level 2": "Nâng lên mức 2",
        "Read the chip with the demo reader and raise": (
            "Đọc chip bằng đầu đọc mô phỏng và nâng mức"
        ),
        "Demo only: the simulated reader signs a chip for this citizen's card with the demo"
        " CSCA.": (
            "Chỉ dùng cho bản trình diễn: đầu đọc mô phỏng tạo chip cho thẻ của công dân này, ký"
            " bằng CSCA trình diễn."
        ),
        "No e-ID account": "Chưa có tài khoản định danh điện tử",
        "The account is now at level 2.": "Tài khoản đã được nâng lên mức 2.",
        "Chip verified (passive authentication).": "Chip đã được xác thực (xác thực thụ động).",
        "Chip not read: the printed card was checked.": (
            "Không đọc chip: đã kiểm tra thông tin in trên thẻ."
        ),
        # Development message sink
        "Development message sink": "Hộp thư thử nghiệm",
        "Development only: the SMS and e-mail messages the platform would send. This page"
        " does not exist in production.": (
            "Chỉ dùng khi phát triển: các tin SMS và thư điện tử hệ thống sẽ gửi. Trang này không"
            " có trong môi trường vận hành."
        ),
        "Channel": "Kênh",
        "Recipient": "Người nhận",
        "Message": "Nội dung",
        # Usage history events (account.<kind>)
        "account.registered": "Đăng ký tài khoản",
        "account.phone_confirmed": "Xác nhận số điện thoại",
        "account.login": "Đăng nhập",
        "account.login_failed": "Đăng nhập không thành công",
        "account.step_up": "Xác thực mức 2",
        "account.logout": "Đăng xuất",
        "account.level_changed": "Thay đổi mức tài khoản",
        "account.session_revoked": "Đăng xuất một phiên",
        "account.password_changed": "Đổi mật khẩu",
        "account.recovered": "Khôi phục tài khoản",
        "account.totp_enrolled": "Thiết lập ứng dụng xác thực",
        "account.consent": "Đồng ý chia sẻ thông tin",
        "account.document_issued": "Nhận giấy tờ vào ví",
        "account.closed": "Đóng tài khoản",
        "account.dependant_registered": "Đăng ký tài khoản cho con",
        "account.staff_granted": "Được giao quyền nhân viên tổ chức",
        "account.staff_revoked": "Bị thu hồi quyền nhân viên tổ chức",
        "account.role_granted": "Được giao vai trò cán bộ",
        "account.role_revoked": "Bị thu hồi vai trò cán bộ",
        "account.passkey_added": "Thêm khóa truy cập",
        "account.passkey_removed": "Gỡ khóa truy cập",
        # Error codes
        "csrf.invalid": (
            "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này; hãy tải lại trang và thử lại."
        ),
        "form.required": "Trường này là bắt buộc.",
        "form.invalid": "Giá trị nhập không hợp lệ.",
        "identity.password_repeat": "Hai lần nhập mật khẩu không giống nhau.",
        "identity.face_unchecked": (
            "Hãy đối chiếu người đến làm thủ tục với ảnh của tài khoản và với thẻ trước."
        ),
        "identity.chip_unreadable": "Không đọc được dữ liệu chip.",
        "identity.login_failed": "Số định danh hoặc mật khẩu không đúng.",
        "identity.level_insufficient": (
            "Cần tài khoản mức 2 (đã được công an xác thực trực tiếp) cho thao tác này."
        ),
        "identity.not_police": "Chỉ lực lượng công an mới được nâng tài khoản lên mức 2.",
        "identity.officer_area": "Công dân này không cư trú trong địa bàn bạn phụ trách.",
        "passkey.invalid": "Khóa truy cập không được chấp nhận.",
        "passkey.challenge": (
            "Yêu cầu xác thực bằng khóa truy cập đã hết hạn, đã được dùng hoặc thuộc phiên"
            " khác; hãy thử lại."
        ),
        "passkey.sign_count": (
            "Bộ đếm chữ ký của khóa truy cập bị lùi lại: khóa có thể đã bị sao chép."
        ),
        "passkey.unknown": "Khóa truy cập này chưa được đăng ký tại đây.",
        "passkey.duplicate": "Khóa truy cập này đã được đăng ký.",
        "passkey.name": "Tên khóa truy cập có từ 1 đến 60 ký tự.",
        "passkey.none": "Tài khoản này chưa có khóa truy cập nào.",
        "passkey.not_found": "Không tìm thấy khóa truy cập này trong tài khoản.",
    }
)

# --- Accounts core (identity/accounts.py, signin.py, otp.py, totp.py, levels.py, ...) ---
VI.update(
    {
        # Audit actions written by the accounts core
        "identity.level2": "Nâng tài khoản lên mức 2",
        "identity.level_dropped": "Hạ tài khoản về mức 1",
        "identity.role_granted": "Giao vai trò cán bộ",
        "identity.role_revoked": "Thu hồi vai trò cán bộ",
        # Error codes
        "identity.account_exists": "Số định danh này đã có tài khoản định danh điện tử.",
        "identity.account_inactive": "Tài khoản chưa được kích hoạt hoặc đã bị đóng.",
        "identity.account_unknown": "Không tìm thấy tài khoản.",
        "identity.already_active": "Số điện thoại đã được xác nhận.",
        "identity.pid_unknown": "Không có công dân mang số định danh này trong Cơ sở dữ liệu"
        " quốc gia về dân cư.",
        "identity.name_mismatch": "Họ, chữ đệm và tên không khớp với Cơ sở dữ liệu quốc gia về"
        " dân cư.",
        "identity.birth_date_mismatch": (
            "Ngày sinh không khớp với Cơ sở dữ liệu quốc gia về dân cư."
        ),
        "identity.citizen_deceased": "Cơ sở dữ liệu quốc gia về dân cư ghi nhận công dân này đã"
        " chết.",
        "identity.too_young": "Công dân dưới 14 tuổi do cha, mẹ hoặc người giám hộ đăng ký.",
        "identity.dependant_too_old": "Từ đủ 14 tuổi, công dân tự đăng ký tài khoản của mình.",
        "identity.dependant": "Tài khoản của trẻ em không có mật khẩu riêng.",
        "identity.not_guardian": "Cơ sở dữ liệu dân cư không ghi nhận bạn là cha, mẹ hoặc người"
        " giám hộ của trẻ này.",
        "identity.phone": "Số điện thoại di động Việt Nam, ví dụ 0912345678.",
        "identity.email": "Địa chỉ thư điện tử không hợp lệ.",
        "identity.photo_invalid": "Ảnh chân dung phải là ảnh JPEG hoặc PNG.",
        "identity.photo_size": "Ảnh chân dung phải từ 1 KB đến 2 MB, mỗi cạnh từ 100 đến 4000"
        " điểm ảnh.",
        "identity.password_short": "Mật khẩu cần ít nhất 10 ký tự.",
        "identity.password_long": "Mật khẩu quá dài.",
        "identity.password_guessable": "Mật khẩu không được là số định danh hoặc số điện thoại.",
        "identity.locked": "Đăng nhập sai quá nhiều lần; hãy thử lại sau.",
        "identity.otp_wrong": "Mã xác nhận không đúng.",
        "identity.otp_expired": "Mã xác nhận đã hết hạn; hãy yêu cầu mã mới.",
        "identity.otp_locked": "Nhập sai mã quá nhiều lần; hãy thử lại sau.",
        "identity.otp_too_many_sends": "Đã gửi quá nhiều mã; hãy chờ vài phút.",
        "identity.totp_replay": "Mã này đã được dùng; hãy chờ mã tiếp theo.",
        "identity.totp_missing": "Tài khoản chưa thiết lập ứng dụng xác thực.",
        "identity.totp_unreadable": (
            "Máy chủ không đọc được khóa của ứng dụng xác thực; hãy dùng cách xác thực khác "
            "hoặc liên hệ quản trị viên để thiết lập lại."
        ),
        "identity.totp_not_started": "Hãy bắt đầu thiết lập ứng dụng xác thực trước.",
        "identity.factor_unavailable": "Yếu tố xác thực này không khả dụng.",
        "identity.session_ended": "Phiên đăng nhập đã kết thúc.",
        "identity.session_unknown": "Không tìm thấy phiên đăng nhập.",
        "identity.no_account": "Công dân chưa có tài khoản định danh điện tử đang hoạt động.",
        "identity.no_chip_card": "Mức 2 cần thẻ căn cước gắn chip đã được cấp.",
        "identity.card_expired": "Thẻ căn cước đã hết hạn.",
        "identity.mrz_mismatch": "Vùng đọc máy (MRZ) của thẻ không khớp với thẻ hiện hành trong"
        " Cơ sở dữ liệu dân cư.",
        "identity.chip_failed": "Chip của thẻ không qua được xác thực thụ động.",
        "identity.not_admin": "Chỉ quản trị viên mới được giao vai trò cán bộ.",
        "identity.unit_unknown": "Không có đơn vị hành chính này.",
        "identity.role_exists": "Vai trò này đã được giao.",
        "identity.role_unknown": "Không tìm thấy vai trò đang hiệu lực.",
        "identity.org_kind": "Loại tổ chức là cơ quan hoặc doanh nghiệp.",
        "identity.org_exists": "Đã có tổ chức với mã này.",
        "identity.org_unknown": "Không tìm thấy tổ chức.",
        "identity.representative_level": "Người đại diện theo pháp luật cần tài khoản mức 2.",
        "identity.not_representative": "Chỉ người đại diện theo pháp luật mới quản lý nhân viên.",
        "identity.staff_exists": "Người này đã là nhân viên của tổ chức.",
        "identity.staff_unknown": "Không tìm thấy quyền nhân viên đang hiệu lực.",
    }
)

# --- Signing out and RP-initiated logout (identity/pages/logout.py, identity/oidc_logout.py)
VI.update(
    {
        "Sign out of your e-ID?": "Đăng xuất khỏi tài khoản định danh điện tử?",
        "asks to sign you out of your e-ID account.": (
            "đề nghị đăng xuất bạn khỏi tài khoản định danh điện tử."
        ),
        "A service asks to sign you out of your e-ID account.": (
            "Một dịch vụ đề nghị đăng xuất bạn khỏi tài khoản định danh điện tử."
        ),
        "Signing out ends your e-ID session in this browser: services that use it will ask you"
        " to sign in again.": (
            "Đăng xuất sẽ kết thúc phiên định danh điện tử trên trình duyệt này: các dịch vụ"
            " dùng phiên này sẽ yêu cầu bạn đăng nhập lại."
        ),
        "Stay signed in": "Tiếp tục đăng nhập",
        # The sample portal's sign-out (demo/rp_pages.py)
        "Sign out of the portal and the e-ID": "Đăng xuất khỏi cổng và tài khoản định danh",
        "You signed out of the portal and of your e-ID.": (
            "Bạn đã đăng xuất khỏi cổng dịch vụ và khỏi tài khoản định danh điện tử."
        ),
        "You are signed out": "Bạn đã đăng xuất",
        "Your e-ID session in this browser has ended.": (
            "Phiên định danh điện tử trên trình duyệt này đã kết thúc."
        ),
        "oidc.logout_hint_invalid": (
            "Mã thông báo định danh (id_token_hint) không hợp lệ hoặc không do hệ thống này cấp."
        ),
        "oidc.logout_client_mismatch": "client_id không phải là dịch vụ nhận mã định danh này.",
        "oidc.logout_client_unknown": "Không tìm thấy dịch vụ đang hoạt động với client_id này.",
        "oidc.logout_client_required": (
            "Cần id_token_hint hoặc client_id để chuyển về post_logout_redirect_uri."
        ),
        "oidc.logout_redirect_unregistered": (
            "Địa chỉ chuyển về sau khi đăng xuất (post_logout_redirect_uri) chưa được đăng ký"
            " cho dịch vụ này."
        ),
    }
)
