"""The residence confirmation (form CT07) in real Chromium: an officer reaches it from a
citizen's record without typing a URL; printed, the page is the form alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_pages_readable import dev_officer

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_an_officer_prints_a_residence_confirmation(page: Page, server: Server):
    dev_officer(page, "province-clerk")
    page.get_by_test_id("t-nav-search").click()
    page.get_by_test_id("name").fill("Nguyễn")
    page.get_by_test_id("search").click()
    page.get_by_test_id("results").locator("tbody a").first.click()
    name = page.get_by_test_id("citizen-name").inner_text()
    pid = page.get_by_test_id("pid").inner_text()
    confirmations = """SELECT count(*) FROM audit_log WHERE subject_id = ?
                         AND action = 'citizen.residence_confirmation'"""
    [(before,)] = server.query(confirmations, pid)
    page.get_by_test_id("to-ct07").click()
    expect(page).to_have_url(re.compile(rf"/registry/citizens/{pid}/residence-confirmation"))
    form = page.get_by_test_id("ct07")
    expect(form.get_by_role("heading", level=1)).to_have_text("XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ")
    expect(page.get_by_test_id("ct07-name")).to_have_text(name.upper())
    expect(page.get_by_test_id("ct07-pid")).to_have_text(pid)
    expect(page.get_by_test_id("ct07-birth")).to_have_text(re.compile(r"^\d\d/\d\d/\d{4}$"))
    expect(page.get_by_test_id("print")).to_be_visible()  # print.js shows the button
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.get_by_test_id("print")).to_be_hidden()
    expect(form).to_be_visible()
    assert server.query(confirmations, pid) == [(before + 1,)]  # one entry for the print
