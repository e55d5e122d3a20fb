"""Registering a death from the citizen's record in real Chromium, without typing a URL:
the form keeps what was typed when the date is wrong, then the record says it is done."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_pages_readable import dev_officer

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_a_clerk_registers_a_death_from_the_record(page: Page, server: Server):
    # an old citizen with no e-ID account and no card (other tests pick the newest adults)
    [(name,)] = server.query(
        """SELECT full_name FROM citizen c WHERE status = 'alive' AND birth_date < '1945-01-01'
             AND pid NOT IN (SELECT citizen_pid FROM account)
             AND (SELECT count(*) FROM citizen d WHERE d.full_name = c.full_name) = 1
           ORDER BY id LIMIT 1"""
    )
    dev_officer(page, "province-clerk")
    page.get_by_test_id("t-nav-search").click()
    page.get_by_test_id("name").fill(name)
    page.get_by_test_id("search").click()
    page.get_by_test_id("results").locator("tbody a").first.click()
    expect(page.get_by_test_id("citizen-name")).to_have_text(name)
    page.get_by_test_id("to-death").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký khai tử")
    page.get_by_test_id("death-date").fill("31/02/2026")
    page.get_by_test_id("cause").fill("Tuổi già")
    page.get_by_test_id("register-death").click()
    expect(page.get_by_test_id("error")).to_contain_text("Ngày mất")
    expect(page.get_by_test_id("cause")).to_have_value("Tuổi già")  # kept
    expect(page.get_by_test_id("death-date")).to_be_focused()
    page.get_by_test_id("death-date").fill("02/03/2026")
    page.get_by_test_id("register-death").click()
    expect(page).to_have_url(re.compile(r"/registry/citizens/\d{12}\?.*done=death"))
    expect(page.get_by_test_id("done")).to_have_text("Đã đăng ký khai tử.")
    expect(page.get_by_test_id("record")).to_contain_text("02/03/2026")
