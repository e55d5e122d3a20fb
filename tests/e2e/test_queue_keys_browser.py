"""The cleaning queue from the keyboard, in real Chromium (issue 10, "keyboard-friendly
accept"): the shortcuts are written on the page; J and K move between records, X ticks one,
C opens its correction form (letters typed there stay letters), A accepts and the next
record takes the focus, R asks before setting a record aside; the outcome and probability
filters narrow the list and every decision keeps them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_pages_accessibility import check

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

FOCUSED_ITEM = "() => document.activeElement.closest('.queue-item')?.dataset.result ?? null"
FOCUSED_IS_ITEM = "() => document.activeElement.classList.contains('queue-item')"


def open_queue(page: Page) -> None:
    page.goto("/dev/login")
    page.get_by_test_id("officer-province-clerk").click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.get_by_test_id("nav-queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Danh sách cần làm sạch")


def total(page: Page) -> int:
    return int(page.get_by_test_id("total").get_attribute("data-total") or "-1")


def results(page: Page) -> list[str]:
    return [i.get_attribute("data-result") or "" for i in page.get_by_test_id("item").all()]


def test_the_queue_is_worked_with_the_keyboard(page: Page, server: Server):
    open_queue(page)
    help = page.get_by_test_id("shortcuts")
    expect(help).to_be_visible()
    help.locator("summary").click()
    for key in ("J", "K", "A", "C", "R", "X"):
        expect(help.locator("kbd", has_text=re.compile(f"^{key}$"))).to_be_visible()
    assert check(page) == []
    first, second, *_ = results(page)
    before = total(page)

    page.get_by_test_id("pick").first.focus()  # Tab reaches a record's first control
    page.keyboard.press("j")
    assert page.evaluate(FOCUSED_ITEM) == second and page.evaluate(FOCUSED_IS_ITEM)
    page.keyboard.press("k")
    assert page.evaluate(FOCUSED_ITEM) == first
    page.keyboard.press("x")
    expect(page.get_by_test_id("pick").first).to_be_checked()
    page.keyboard.press("x")
    expect(page.get_by_test_id("pick").first).not_to_be_checked()

    page.keyboard.press("c")  # the correction form opens on its value field
    value = page.get_by_test_id("item").first.get_by_test_id("value")
    expect(value).to_be_focused()
    page.keyboard.type("jar")  # letters typed in a field are not shortcuts
    expect(value).to_have_value("jar")
    assert total(page) == before and page.evaluate(FOCUSED_ITEM) == first
    value.fill("")

    page.get_by_test_id("item").first.focus()
    page.keyboard.press("a")  # accept: the page answers and the next record has the focus
    expect(page.get_by_test_id("done")).to_be_visible()
    assert total(page) == before - 1 and first not in results(page)
    page.wait_for_function(FOCUSED_IS_ITEM)  # the page's script moves the focus once loaded
    assert page.evaluate(FOCUSED_ITEM) == results(page)[0]

    asked: list[str] = []

    def refuse(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", refuse)
    page.keyboard.press("r")  # asks first; refused, nothing changes
    assert asked == ["Để riêng bản ghi này vì không phải công dân của tỉnh?"]
    assert total(page) == before - 1
    aside = results(page)[0]
    page.once("dialog", lambda d: d.accept())
    page.keyboard.press("r")
    expect(page.get_by_test_id("done")).to_be_visible()
    assert total(page) == before - 2 and aside not in results(page)


def test_the_outcome_and_probability_filters_stay_through_a_decision(page: Page, server: Server):
    open_queue(page)
    everything = total(page)
    page.get_by_test_id("filter-outcome").select_option("synced_with_differences")
    page.get_by_test_id("filter-band").select_option("high")
    page.get_by_test_id("filter").click()
    expect(page).to_have_url(re.compile(r"band=high"))
    page.wait_for_load_state()
    assert "outcome=synced_with_differences" in page.url
    outcomes = {i.get_attribute("data-outcome") for i in page.get_by_test_id("item").all()}
    assert outcomes == {"synced_with_differences"}
    assert 0 < total(page) <= everything
    page.get_by_test_id("accept").first.click()
    expect(page.get_by_test_id("done")).to_be_visible()
    page.wait_for_load_state()
    assert "outcome=synced_with_differences" in page.url and "band=high" in page.url
    expect(page.get_by_test_id("filter-band")).to_have_value("high")

    page.get_by_test_id("filter-outcome").select_option("")
    page.get_by_test_id("filter-band").select_option("low")
    page.get_by_test_id("filter").click()
    expect(page).to_have_url(re.compile(r"band=low"))
    page.wait_for_load_state()
    # records with differing fields are certain matches: only weak proposals are left
    weak = {i.get_attribute("data-outcome") for i in page.get_by_test_id("item").all()}
    assert weak <= {"probable_match"} and total(page) < everything
