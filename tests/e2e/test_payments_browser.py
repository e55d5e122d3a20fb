"""Social payments in real Chromium: the commune's social officer enrols a citizen with a
bank account verified against the ID number, a provincial officer approves the enrolment,
one officer prepares the month and another approves it (the preparer cannot), and the
beneficiary signs in with their e-ID and sees what will be paid, when and to which account."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from dancu.demo.accounts import DEMO_PASSWORD
from dancu.payments.simulated import BankNetwork
from tests.e2e.conftest import WAIT_MS, Server
from tests.e2e.test_identity_browser import sink_code

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def officer_tab(browser, server: Server, officer: str) -> Page:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server.url, locale="vi-VN")
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    tab.goto("/dev/login")
    tab.get_by_test_id(f"officer-{officer}").click()
    expect(tab).to_have_url(re.compile(r"/$"))
    return tab


def next_month() -> str:
    today = date.today()
    return f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"


def test_enrolment_approval_by_a_second_officer_and_the_beneficiarys_page(
    browser, page: Page, server: Server
) -> None:  # type: ignore[no-untyped-def]
    [(pid, phone, name)] = server.query(
        "SELECT a.citizen_pid, a.phone, c.full_name FROM account a JOIN citizen c"
        " ON c.pid = a.citizen_pid WHERE a.level = 1 AND c.status = 'alive' AND a.citizen_pid"
        " NOT IN (SELECT pid FROM beneficiary) ORDER BY a.id LIMIT 1"
    )
    account = BankNetwork().account_of(pid)

    clerk = officer_tab(browser, server, "social-officer")
    clerk.get_by_test_id("nav-payments").click()
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Chi trả an sinh xã hội")
    clerk.get_by_test_id("pay-enrol").click()
    clerk.get_by_test_id("enrol-pid").fill(pid)
    clerk.get_by_test_id("enrol-category").select_option("social_assistance:disabled_severe")
    clerk.get_by_test_id("enrol-account").fill(account[:-1] + str((int(account[-1]) + 1) % 10))
    clerk.get_by_test_id("enrol-consent").check()
    clerk.get_by_test_id("enrol-submit").click()
    expect(clerk.get_by_test_id("error")).to_contain_text(
        "Chủ tài khoản không phải là đối tượng này"
    )
    expect(clerk.get_by_test_id("enrol-pid")).to_have_value(pid)  # what was typed is kept
    clerk.get_by_test_id("enrol-account").fill(account)
    clerk.get_by_test_id("enrol-submit").click()
    expect(clerk.get_by_test_id("notice")).to_contain_text("tỉnh sẽ phê duyệt")
    expect(clerk.get_by_test_id("approve-change")).to_have_count(0)  # not the maker's to decide

    approver = officer_tab(browser, server, "social-approver")
    approver.goto("/payments")
    row = approver.get_by_test_id("pending-row").filter(has_text=name)
    row.get_by_test_id("approve-change").click()
    expect(approver.get_by_test_id("notice")).to_have_text("Đã phê duyệt.")

    preparer = officer_tab(browser, server, "social-preparer")
    preparer.goto("/payments/cycles")
    preparer.get_by_test_id("prepare-programme").select_option("social_assistance")
    preparer.get_by_test_id("prepare-month").fill(next_month())
    preparer.get_by_test_id("prepare").click()
    expect(preparer.get_by_test_id("cycle-status")).to_have_text("Chờ phê duyệt")
    expect(preparer.get_by_test_id("approve-cycle")).to_have_count(0)  # not its preparer
    cycle_url = preparer.url

    approver.goto(cycle_url)
    approver.get_by_test_id("approve-cycle").click()
    expect(approver.get_by_test_id("cycle-status")).to_have_text("Đã phê duyệt")
    expect(approver.get_by_test_id("cycle-approver")).to_contain_text("Bùi Thị Thu")

    page.goto("/login")
    page.get_by_test_id("pid").fill(pid)
    page.get_by_test_id("password").fill(DEMO_PASSWORD)
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(r"/login/second-factor$"))
    page.get_by_test_id("otp-code").fill(sink_code(page, phone))
    page.get_by_test_id("otp-submit").click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/account")
    page.get_by_test_id("to-payments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Các khoản chi trả an sinh của tôi")
    mine = page.get_by_test_id("my-payment")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("750.000")  # 1.5 x the standard level of 500,000 VND
    expect(page.get_by_test_id("my-payment-account")).to_have_text(
        f"Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam (Agribank) •••• {account[-4:]}"
    )
