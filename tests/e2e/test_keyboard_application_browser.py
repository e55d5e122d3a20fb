"""A citizen applies for a public service with the keyboard alone, in real Chromium: the
first Tab of a page offers to skip the header's links, the catalogue's search, the
procedure, its "apply online" link, the result's delivery (arrow keys), and the submit
button are each reached with Tab and visibly focused; the dossier is received."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_pages_readable import sign_in_demo_account

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

FOCUSED = """() => { const e = document.activeElement; return {
  tag: e.tagName, type: e.type || "", name: e.name || "", value: e.value || "",
  text: (e.innerText || "").trim(), testid: e.dataset.testid || "",
  outline: getComputedStyle(e).outlineStyle }; }"""


def tab_to(page: Page, wanted, limit: int = 60) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Press Tab until the focused element is ``wanted``; it must show a focus outline."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = page.evaluate(FOCUSED)
        if wanted(now):
            assert now["outline"] not in ("none", ""), now
            return now
    pytest.fail("Tab never reached the element")


def enter_and_wait(page: Page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_citizen_applies_for_a_residence_confirmation_with_the_keyboard_alone(
    page: Page, server: Server
):
    sign_in_demo_account(page, server, level=2)
    page.goto("/procedures")
    page.keyboard.press("Tab")  # the first Tab: the skip link, shown when focused
    skip = page.get_by_test_id("skip-link")
    expect(skip).to_be_focused()
    assert (skip.bounding_box() or {"x": -1})["x"] >= 0  # on the screen, not off it
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    tab_to(page, lambda f: f["tag"] == "INPUT" and f["name"] == "q")  # straight to search
    page.keyboard.type("cu tru")  # without diacritics
    enter_and_wait(page)
    tab_to(page, lambda f: f["tag"] == "A" and f["text"] == "Xác nhận thông tin về cư trú")
    enter_and_wait(page)
    tab_to(page, lambda f: f["testid"] == "apply-link")
    enter_and_wait(page)
    expect(page).to_have_url(re.compile(r"/procedures/1\.004227/apply$"))
    tab_to(page, lambda f: f["type"] == "radio" and f["name"] == "delivery")
    page.keyboard.press("ArrowDown")  # by post
    assert page.evaluate(FOCUSED)["value"] == "post"
    tab_to(page, lambda f: f["testid"] == "submit-dossier")
    enter_and_wait(page)
    expect(page.get_by_test_id("receipt")).to_be_visible()
    expect(page.get_by_test_id("dossier-status")).to_have_attribute("data-status", "submitted")
    expect(page.locator("main")).to_contain_text("Nhận qua dịch vụ bưu chính công ích")
