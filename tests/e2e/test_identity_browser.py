"""A citizen's path in real Chromium: register at level 1 (the phone code read from the
development message sink), sign in with the SMS code as second factor, open the wallet;
then add a passkey with Chromium's virtual authenticator and sign in with it alone."""

from __future__ import annotations

import re
import struct
from datetime import date
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORD = "mật khẩu thật dài 2026"


def face_png() -> bytes:
    """A PNG header of a 300x400 image, padded: what the registration's photo check reads."""
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", 300, 400, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + b"\0" * 4
    return data + b"\0" * (4096 - len(data))


def adult_without_account(server: Server, skip: int) -> tuple[str, str, date]:
    """(pid, full name, birth date) of a living adult of the demo province with a chip card
    that is not expired and will not expire within two months (the desk refuses an expired
    card, and the demo's cards expire on their real dates)."""
    rows = server.query(
        """SELECT pid, full_name, birth_date FROM citizen c
           WHERE status = 'alive' AND birth_date < '2000-01-01'
             AND pid NOT IN (SELECT citizen_pid FROM account)
             AND EXISTS (SELECT 1 FROM id_card k WHERE k.citizen_id = c.id
                         AND k.status = 'issued'
                         AND (k.expires_on IS NULL OR k.expires_on > date('now', '+60 days')))
           ORDER BY id DESC LIMIT 1 OFFSET ?""",
        skip,
    )
    pid, name, born = rows[0]
    return pid, name, date.fromisoformat(born)


def sink_code(tab: Page, phone: str) -> str:
    """The newest code sent to ``phone``, read in another tab of the same browser."""
    sink = tab.context.new_page()
    sink.goto(f"/dev/messages?recipient={quote(phone)}")
    expect(sink.get_by_role("heading", level=1)).to_have_text("Hộp thư thử nghiệm")
    body = sink.get_by_test_id("message-body").first.inner_text()
    sink.close()
    found = re.search(r"\b(\d{6})\b", body)
    assert found, body
    return found.group(1)


def register(tab: Page, pid: str, name: str, born: date, phone: str) -> None:
    tab.goto("/register")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Đăng ký tài khoản định danh điện tử")
    tab.get_by_test_id("pid").fill(pid)
    tab.get_by_test_id("full-name").fill(name)
    tab.get_by_test_id("birth-date").fill(born.strftime("%d/%m/%Y"))
    tab.get_by_test_id("phone").fill(phone)
    tab.get_by_test_id("email").fill(f"{pid}@example.vn")
    tab.get_by_test_id("photo").set_input_files(
        {"name": "chan-dung.png", "mimeType": "image/png", "buffer": face_png()}
    )
    tab.get_by_test_id("password").fill(PASSWORD)
    tab.get_by_test_id("password2").fill(PASSWORD)
    tab.get_by_test_id("submit").click()
    expect(tab).to_have_url(re.compile(r"/register/confirm$"))
    tab.get_by_test_id("code").fill(sink_code(tab, "+84" + phone[1:]))
    tab.get_by_test_id("submit").click()
    expect(tab.get_by_test_id("done")).to_have_text(
        "Tài khoản định danh điện tử của bạn đã được kích hoạt"
    )


def sign_in_with_sms(tab: Page, pid: str, phone: str) -> None:
    tab.goto("/login")
    tab.get_by_test_id("pid").fill(pid)
    tab.get_by_test_id("password").fill(PASSWORD)
    tab.get_by_test_id("submit").click()
    expect(tab).to_have_url(re.compile(r"/login/second-factor$"))
    tab.get_by_test_id("otp-code").fill(sink_code(tab, "+84" + phone[1:]))
    tab.get_by_test_id("otp-submit").click()
    expect(tab).to_have_url(re.compile(r"/$"))  # home, then the account from its list
    tab.get_by_test_id("t-account").click()
    expect(tab).to_have_url(re.compile(r"/account$"))


def test_a_citizen_registers_signs_in_with_the_sms_code_and_opens_the_wallet(
    page: Page, server: Server
):
    pid, name, born = adult_without_account(server, 0)
    phone = "0912000001"
    register(page, pid, name, born, phone)

    # a wrong password is explained in Vietnamese, next to the form
    page.goto("/login")
    page.get_by_test_id("pid").fill(pid)
    page.get_by_test_id("password").fill("không phải mật khẩu")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("error")).to_contain_text("Số định danh hoặc mật khẩu không đúng.")

    sign_in_with_sms(page, pid, phone)
    expect(page.get_by_test_id("account-name")).to_have_text(name)
    expect(page.get_by_test_id("account-level")).to_have_text("Mức 1")
    expect(page.get_by_test_id("session-row")).to_have_count(1)

    page.get_by_test_id("to-wallet").click()
    expect(page).to_have_url(re.compile(r"/wallet$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ví giấy tờ")


def raise_at_the_desk(browser, server: Server, pid: str) -> None:  # type: ignore[no-untyped-def]
    """The provincial police officer (demo sign-in) reads the card with the demo reader."""
    context = browser.new_context(base_url=server.url, locale="vi-VN")
    context.set_default_timeout(10_000)
    desk = context.new_page()
    try:
        desk.goto("/dev/login")
        desk.get_by_test_id("officer-province-police").click()
        desk.goto("/desk/level2")
        desk.get_by_test_id("pid").fill(pid)
        desk.get_by_test_id("find").click()
        expect(desk.get_by_test_id("photo")).to_be_visible()
        expect(desk.get_by_test_id("account-level")).to_have_text("Mức 1")
        desk.get_by_test_id("raise").click()  # no zone typed, no face check: refused
        expect(desk.get_by_test_id("error")).to_contain_text("Vùng đọc máy (MRZ)")
        desk.get_by_test_id("face-checked").check()
        desk.get_by_test_id("raise-demo-reader").click()
        expect(desk.get_by_test_id("raised")).to_contain_text("Chip đã được xác thực")
        expect(desk.get_by_test_id("account-level")).to_have_text("Mức 2")
    finally:
        context.close()


def test_a_passkey_from_chromiums_virtual_authenticator(browser, server: Server):  # type: ignore[no-untyped-def]
    """WebAuthn needs a domain as relying party (not an IP): this tab uses ``localhost``.
    The citizen is raised to level 2 at the desk meanwhile, and the passkey steps up."""
    port = urlsplit(server.url).port
    site = f"http://localhost:{port}"
    context = browser.new_context(base_url=site, locale="vi-VN")
    context.set_default_timeout(10_000)
    offsite: list[str] = []

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(route.request.url).netloc == f"localhost:{port}":
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    cdp = context.new_cdp_session(tab)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    try:
        pid, name, born = adult_without_account(server, 1)
        phone = "0912000002"
        register(tab, pid, name, born, phone)
        sign_in_with_sms(tab, pid, phone)

        tab.get_by_test_id("passkey-name").fill("Máy tính xách tay")
        tab.get_by_test_id("passkey-button-register").click()
        expect(tab.get_by_test_id("passkey-row")).to_contain_text("Máy tính xách tay")

        tab.get_by_test_id("logout").click()
        tab.goto("/account")
        expect(tab).to_have_url(re.compile(r"/login\?next="))
        tab.get_by_test_id("passkey-button-authenticate").click()  # no ID number, no password
        expect(tab).to_have_url(re.compile(r"/account$"))
        expect(tab.get_by_test_id("account-name")).to_have_text(name)
        history = tab.get_by_test_id("history")
        expect(history).to_contain_text("Thêm khóa truy cập")

        raise_at_the_desk(browser, server, pid)
        tab.reload()
        expect(tab.get_by_test_id("account-level")).to_have_text("Mức 2")
        expect(tab.get_by_test_id("session-level")).to_contain_text("Mức 1")
        tab.goto("/login/step-up?next=/account")
        tab.get_by_test_id("passkey-button-authenticate").click()
        expect(tab).to_have_url(re.compile(r"/account$"))
        expect(tab.get_by_test_id("session-level")).to_have_text("Mức 2")
        expect(tab.get_by_test_id("access-log")).to_contain_text("Trần Văn Minh")
    finally:
        context.close()
    assert offsite == []


def test_on_a_phone_the_wallet_document_opens_on_its_qr_code(phone: Page, browser, server: Server):  # type: ignore[no-untyped-def]
    """A level-2 holder opens a document on a 390 px wide phone: the QR code is on the first
    screen, whole, as wide as the screen allows (never the 200 px it used to be)."""
    pid, name, born = adult_without_account(server, 2)
    number = "0912000003"
    register(phone, pid, name, born, number)
    raise_at_the_desk(browser, server, pid)
    sign_in_with_sms(phone, pid, number)
    phone.goto("/wallet")
    phone.get_by_test_id("demo-documents").click()
    phone.get_by_test_id("wallet-doc").first.click()
    expect(phone).to_have_url(re.compile(r"/wallet/[^/]+$"))
    qr = phone.get_by_test_id("qr").locator("svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844  # on the first screen
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # whole, not cut off
    assert box["width"] >= 340  # as wide as the screen allows
    expect(phone.get_by_test_id("doc-valid-until")).to_have_text(re.compile(r"^\d\d/\d\d/\d{4}$"))
