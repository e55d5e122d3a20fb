"""An officer's path in real Chromium: sign in, search without diacritics, open a record,
see the read just done in its access history, switch to English; and the same on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dancu.common.textfold import fold
from tests.e2e.conftest import Server

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CLERK = "Nguyễn Thị Hồng (cán bộ tư pháp tỉnh)"
PHONE_WIDTH = 390


def known_citizen(server: Server) -> tuple[str, str]:
    """(pid, full name) of the first living citizen who has a household and a unique name."""
    [(pid, name)] = server.query(
        """SELECT c.pid, c.full_name FROM citizen c
           JOIN household_member m ON m.citizen_id = c.id
           WHERE c.status = 'alive'
             AND (SELECT count(*) FROM citizen o WHERE o.name_folded = c.name_folded) = 1
           ORDER BY c.id LIMIT 1"""
    )
    return pid, name


def sign_in_as_provincial_clerk(tab: Page) -> None:
    tab.goto("/")
    expect(tab.get_by_test_id("t-login")).to_be_visible()  # everyone signs in with e-ID
    tab.get_by_test_id("dev-sign-in").click()  # the demo officers' shortcut (DANCU_DEV_LOGIN)
    expect(tab.get_by_role("heading", level=1)).to_have_text("Đăng nhập thử nghiệm")
    tab.get_by_test_id("officer-province-clerk").click()
    expect(tab).to_have_url(re.compile(r"/$"))  # home: the tasks this officer may do
    expect(tab.get_by_test_id("actor")).to_have_text(f"Đăng nhập với tư cách {CLERK}")
    tab.get_by_test_id("t-nav-search").click()
    expect(tab).to_have_url(re.compile(r"/registry/search$"))


def search_by_name(tab: Page, typed: str) -> None:
    tab.get_by_test_id("name").fill(typed)
    tab.get_by_test_id("search").click()
    expect(tab.get_by_test_id("results")).to_be_visible()


def page_width(tab: Page) -> int:
    tab.wait_for_load_state("load")  # the stylesheet applied: on a busy machine it comes late
    return tab.evaluate("document.documentElement.scrollWidth")


def test_officer_finds_a_citizen_and_sees_the_read_in_the_access_history(
    page: Page, server: Server
):
    pid, name = known_citizen(server)
    typed = fold(name)
    assert typed != name.lower()  # the officer really types without diacritics

    sign_in_as_provincial_clerk(page)
    search_by_name(page, typed)
    link = page.locator(f'[data-testid="results"] a[href^="/registry/citizens/{pid}?"]')
    expect(link).to_have_text(name)
    link.click()

    expect(page).to_have_url(re.compile(rf"/registry/citizens/{pid}\?purpose="))
    expect(page.get_by_test_id("citizen-name")).to_have_text(name)
    expect(page.get_by_test_id("pid")).to_have_text(pid)
    expect(page.get_by_role("heading", name="Lịch sử truy cập dữ liệu")).to_be_visible()
    newest_read = (
        page.get_by_test_id("audit-trail")
        .locator("tbody tr")
        .filter(has_text="Xem thông tin công dân")
        .first
    )
    expect(newest_read).to_contain_text(CLERK)
    expect(newest_read).to_contain_text("Giải quyết thủ tục hành chính")
    member = page.get_by_test_id("household").locator("tr[aria-current]")
    expect(member).to_contain_text(name)

    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(rf"/registry/citizens/{pid}\?.*lang=en"))
    expect(page.get_by_role("heading", name="Citizen record")).to_be_visible()
    expect(page.get_by_role("heading", name="Access history")).to_be_visible()
    english_read = page.get_by_test_id("audit-trail").locator("tbody tr").first.locator("td")
    expect(english_read.nth(2)).to_have_text("Viewed the household")
    expect(english_read.nth(3)).to_have_text("Settling an administrative procedure")
    page.get_by_role("link", name="Back to search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search citizens")


def test_a_bad_birth_date_is_explained_next_to_the_form(page: Page, server: Server):
    sign_in_as_provincial_clerk(page)

    page.get_by_test_id("birth-date").fill("31/02/1990")
    page.get_by_test_id("search").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Ngày sinh: Ngày tháng phải là một ngày có thật, viết theo dạng dd/mm/yyyy"
        " (ví dụ: 17/05/1990)."
    )
    expect(page.get_by_test_id("birth-date")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("birth-date")).to_have_value("31/02/1990")


def test_search_and_record_fit_a_phone_screen(phone: Page, server: Server):
    pid, name = known_citizen(server)
    sign_in_as_provincial_clerk(phone)
    assert page_width(phone) <= PHONE_WIDTH

    button = phone.get_by_test_id("search")
    for field in ("name", "birth-date", "commune", "purpose"):
        box = phone.get_by_test_id(field).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
    phone.get_by_test_id("name").tap()
    phone.keyboard.type(fold(name))
    button.scroll_into_view_if_needed()
    button.tap()
    expect(phone.get_by_test_id("results")).to_be_visible()
    assert page_width(phone) <= PHONE_WIDTH

    phone.locator(f'a[href^="/registry/citizens/{pid}?"]').tap()
    expect(phone.get_by_test_id("citizen-name")).to_have_text(name)
    assert page_width(phone) <= PHONE_WIDTH
    expect(phone.get_by_test_id("audit-trail")).to_be_visible()
