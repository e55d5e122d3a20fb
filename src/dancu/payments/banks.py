"""The banks' names by their NAPAS code (BIN, the six digits of a VietQR and of an ISO 20022
file's ``MmbId``), for the pages: a person reads "Ngân hàng TMCP Ngoại thương Việt Nam
(Vietcombank)", never 970436.

Source: the list of banks taking part in NAPAS's 24/7 fast transfer and VietQR (the BINs
published by NAPAS, as every banking app's VietQR list carries them); names as the State
Bank of Vietnam licenses them, with the brand people know in brackets. A code not listed
is shown by the page as "bank with code ..." (a bank added later), so nothing breaks.
"""

from __future__ import annotations

BANKS: dict[str, str] = {
    "970405": "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam (Agribank)",
    "970436": "Ngân hàng TMCP Ngoại thương Việt Nam (Vietcombank)",
    "970415": "Ngân hàng TMCP Công Thương Việt Nam (VietinBank)",
    "970418": "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam (BIDV)",
    "970407": "Ngân hàng TMCP Kỹ Thương Việt Nam (Techcombank)",
    "970422": "Ngân hàng TMCP Quân đội (MB)",
    "970416": "Ngân hàng TMCP Á Châu (ACB)",
    "970432": "Ngân hàng TMCP Việt Nam Thịnh Vượng (VPBank)",
    "970403": "Ngân hàng TMCP Sài Gòn Thương Tín (Sacombank)",
    "970423": "Ngân hàng TMCP Tiên Phong (TPBank)",
    "970437": "Ngân hàng TMCP Phát triển Thành phố Hồ Chí Minh (HDBank)",
    "970441": "Ngân hàng TMCP Quốc tế Việt Nam (VIB)",
    "970443": "Ngân hàng TMCP Sài Gòn - Hà Nội (SHB)",
    "970431": "Ngân hàng TMCP Xuất Nhập khẩu Việt Nam (Eximbank)",
    "970426": "Ngân hàng TMCP Hàng Hải Việt Nam (MSB)",
    "970440": "Ngân hàng TMCP Đông Nam Á (SeABank)",
    "970448": "Ngân hàng TMCP Phương Đông (OCB)",
    "970449": "Ngân hàng TMCP Lộc Phát Việt Nam (LPBank)",
    "970428": "Ngân hàng TMCP Nam Á (Nam A Bank)",
    "970409": "Ngân hàng TMCP Bắc Á (Bac A Bank)",
    "970412": "Ngân hàng TMCP Đại Chúng Việt Nam (PVcomBank)",
    "970452": "Ngân hàng TMCP Kiên Long (Kienlongbank)",
    "970400": "Ngân hàng TMCP Sài Gòn Công Thương (Saigonbank)",
    "970425": "Ngân hàng TMCP An Bình (ABBANK)",
    "970438": "Ngân hàng TMCP Bảo Việt (BaoViet Bank)",
    "970419": "Ngân hàng TMCP Quốc Dân (NCB)",
    "970427": "Ngân hàng TMCP Việt Á (VietABank)",
    "970433": "Ngân hàng TMCP Việt Nam Thương Tín (Vietbank)",
    "970454": "Ngân hàng TMCP Bản Việt (BVBank)",
    "970429": "Ngân hàng TMCP Sài Gòn (SCB)",
    "970406": "Ngân hàng TMCP Đông Á (DongA Bank)",
    "970430": "Ngân hàng TMCP Thịnh vượng và Phát triển (PGBank)",
    "970446": "Ngân hàng Hợp tác xã Việt Nam (Co-opBank)",
}


def bank_name(code: str | None) -> str | None:
    """The bank's name for a person; None for no bank or a bank not listed."""
    return BANKS.get(code or "")
