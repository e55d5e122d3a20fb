"""A commune's registry clerk, in real Chromium, from the home page's sign-in to a birth and
a marriage registered, clicking links and typing only what the papers say (never a URL):
a wrong date is refused on the form with what was typed kept and the field focused, each
success lands on the citizen's record saying so. axe-core checks every page visited, at
desktop and phone widths (no serious or critical violation, no sideways scrolling)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from dancu.web.devlogin import demo_officers
from tests.e2e.conftest import Server
from tests.e2e.test_pages_accessibility import check

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

# Adults of the clerk's commune with no e-ID account (other tests sign accounts in), each
# with a name no one else has (the search must find one person); "married" or not.
ADULTS = """SELECT pid, full_name FROM citizen c
  WHERE status = 'alive' AND sex = ? AND (marital_status = 'married') = ? AND commune_code = ?
    AND birth_date BETWEEN '1970-01-01' AND '2004-12-31'
    AND pid NOT IN (SELECT citizen_pid FROM account)
    AND (SELECT count(*) FROM citizen d WHERE d.full_name = c.full_name) = 1
  ORDER BY birth_date DESC"""
COMMUNE = demo_officers("66")["commune-clerk"].units[0]  # the e2e server's demo province


def signed_in_home(page: Page, problems: list[str]) -> None:
    page.goto("/")  # the one address anyone types: the site itself
    page.get_by_test_id("dev-sign-in").click()
    problems += check(page)
    page.get_by_test_id("officer-commune-clerk").click()
    expect(page).to_have_url(re.compile(r"/$"))
    problems += check(page)


def test_a_commune_clerk_registers_a_birth_then_a_marriage(page: Page, server: Server):
    [(mother_pid, _), *_] = server.query(ADULTS, "F", True, COMMUNE)
    [(groom_pid, groom_name), *_] = server.query(ADULTS, "M", False, COMMUNE)
    [(bride_pid, _), *_] = server.query(ADULTS, "F", False, COMMUNE)
    born = (date.today() - timedelta(days=12)).strftime("%d/%m/%Y")
    problems: list[str] = []

    signed_in_home(page, problems)
    page.get_by_test_id("t-nav-events").click()  # the home page's task
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký hộ tịch, cư trú")
    problems += check(page)
    page.get_by_test_id("to-birth").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký khai sinh")
    problems += check(page)
    page.get_by_test_id("child-name").fill("Lò Minh Khôi")
    page.get_by_test_id("birth-date").fill("31/02/2026")  # no such day
    page.get_by_test_id("sex").select_option("M")
    page.get_by_test_id("mother-pid").fill(mother_pid)
    page.get_by_test_id("register-birth").click()
    expect(page.get_by_test_id("error")).to_contain_text("Ngày sinh")
    expect(page.get_by_test_id("child-name")).to_have_value("Lò Minh Khôi")  # kept
    expect(page.get_by_test_id("mother-pid")).to_have_value(mother_pid)
    expect(page.get_by_test_id("sex")).to_have_value("M")
    expect(page.get_by_test_id("birth-date")).to_be_focused()
    problems += check(page)  # the form with its error
    page.get_by_test_id("birth-date").fill(born)
    page.get_by_test_id("register-birth").click()
    expect(page).to_have_url(re.compile(r"/registry/citizens/\d{12}\?.*done=birth"))
    expect(page.get_by_test_id("done")).to_have_text(
        "Đã đăng ký khai sinh: đây là hồ sơ mới của trẻ."
    )
    expect(page.get_by_test_id("citizen-name")).to_have_text("Lò Minh Khôi")
    problems += check(page)
    child_pid = page.get_by_test_id("pid").inner_text()
    assert server.query(
        "SELECT count(*) FROM audit_log WHERE action = 'civil_status.birth' AND subject_id = ?",
        child_pid,
    ) == [(1,)]

    page.get_by_test_id("nav-search").click()  # the header, from the child's record
    page.get_by_test_id("name").fill(groom_name)
    page.get_by_test_id("search").click()
    page.get_by_test_id("results").locator("tbody a").first.click()
    expect(page.get_by_test_id("citizen-name")).to_have_text(groom_name)
    page.get_by_test_id("to-marriage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký kết hôn")
    problems += check(page)
    page.get_by_test_id("spouse-pid").fill(bride_pid)
    page.get_by_test_id("married-on").press_sequentially("01/11/2025")  # typed, key by key
    page.get_by_test_id("married-on").press("Enter")  # the keyboard submits the form
    expect(page).to_have_url(re.compile(rf"/registry/citizens/{groom_pid}\?.*done=marriage"))
    expect(page.get_by_test_id("done")).to_have_text("Đã đăng ký kết hôn.")
    expect(page.get_by_test_id("record")).to_contain_text("Đã kết hôn")
    problems += check(page)
    page.get_by_test_id("spouse").click()  # the spouse's record, linked from the groom's
    expect(page.get_by_test_id("pid")).to_have_text(bride_pid)
    assert server.query(
        "SELECT spouse_id = (SELECT id FROM citizen WHERE pid = ?) FROM citizen WHERE pid = ?",
        groom_pid,
        bride_pid,
    ) == [(1,)]
    assert problems == []
