"""The finance officer settles a transfer under review in real Chromium, on a phone, with
the keyboard only: the form opens from its disclosure, a missing reason is shown on its
field, the decision is recorded and the transfer moves to the settled list."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
SHOTS = os.environ.get("DANCU_FEES_SCREENSHOTS")  # a folder: keep what the phone showed


def open_decisions(server: Server) -> int:
    return server.query(
        "SELECT count(*) FROM procedure_statement_entry "
        "WHERE outcome != 'matched' AND decision IS NULL"
    )[0][0]


def test_the_officer_settles_a_transfer_with_the_keyboard_on_a_phone(
    phone: Page, server: Server
) -> None:
    waiting = open_decisions(server)
    assert waiting > 0  # the demo's statement left a wrong amount and a transfer without code
    phone.goto("/dev/login")
    phone.get_by_test_id("officer-finance-officer").click()
    phone.goto("/procedure-fees")
    row = phone.get_by_test_id("to-review").locator("tr[data-entry]").first
    entry = row.get_attribute("data-entry")
    summary = row.get_by_text("Xử lý khoản chuyển này")
    summary.focus()
    phone.keyboard.press("Enter")  # a <details> opens with the keyboard
    form = row.get_by_test_id("resolve-form")
    expect(form).to_be_visible()
    form.get_by_label("Đã hoàn trả cho người chuyển").focus()
    phone.keyboard.press("Space")
    form.get_by_label("Lý do").focus()
    phone.keyboard.type("   ")  # the browser asks for a reason; blanks reach the server
    phone.keyboard.press("Tab")
    expect(form.get_by_role("button", name="Ghi quyết định")).to_be_focused()
    if SHOTS:
        phone.screenshot(path=f"{SHOTS}/fees-form-phone.png", full_page=True)
    phone.keyboard.press("Enter")  # a blank reason: refused on its field
    error = phone.get_by_test_id("resolve-error")
    expect(error).to_have_attribute("data-code", "payment.reason_required")
    reason = phone.locator(f"#entry-{entry} textarea[name=reason]")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()
    if SHOTS:
        phone.screenshot(path=f"{SHOTS}/fees-error-phone.png", full_page=True)
    phone.keyboard.press("Control+A")
    phone.keyboard.type("Chuyển sai số tiền, đã hoàn trả")
    phone.keyboard.press("Tab")
    expect(phone.locator(f"#entry-{entry} button[type=submit]")).to_be_focused()
    phone.keyboard.press("Enter")
    expect(phone.get_by_test_id("resolved")).to_be_visible()
    expect(phone.locator(f'tr[data-entry="{entry}"]')).to_have_count(0)
    assert open_decisions(server) == waiting - 1
    phone.get_by_test_id("show-decided").click()
    settled = phone.locator(f'tr[data-entry="{entry}"]')
    expect(settled).to_have_attribute("data-decision", "refund")
    expect(settled).to_contain_text("Chuyển sai số tiền, đã hoàn trả")
    if SHOTS:
        phone.screenshot(path=f"{SHOTS}/fees-settled-phone.png", full_page=True)
        phone.goto("/procedure-fees?show=decided&lang=en")
        phone.screenshot(path=f"{SHOTS}/fees-settled-phone-en.png", full_page=True)
