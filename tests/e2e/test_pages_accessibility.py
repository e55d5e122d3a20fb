"""Accessibility in real Chromium (issue 10, "Accessible"): axe-core checks the main pages of
every role against WCAG 2.x A and AA and fails on any serious or critical violation; every
one of those pages holds at 390 px without horizontal scrolling; signing in and searching
work with the keyboard alone.

axe-core is a test asset (tests/e2e/vendor/, MPL-2.0), injected into the page under test
through the browser's debugging protocol: the application never serves it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from dancu.demo.accounts import DEMO_PASSWORD
from tests.e2e.conftest import Server
from tests.e2e.test_identity_browser import sink_code
from tests.e2e.test_pages_readable import dev_officer, sign_in_demo_account

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN = """async (tags) => {
  const found = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return found.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(" "))}`);
}"""
PHONE = 390


def check(page: Page, path: str | None = None) -> list[str]:
    """axe on the page (opened first when ``path`` is given) at desktop and phone widths,
    and the page's width on the phone; returns what is wrong, prefixed by the page."""
    if path is not None:
        page.goto(path)
    where = urlsplit(page.url).path
    page.evaluate(AXE)
    problems = [f"{where} {v}" for v in page.evaluate(RUN, WCAG)]
    desktop = page.viewport_size
    page.set_viewport_size({"width": PHONE, "height": 844})
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > PHONE:
        problems.append(f"{where} scrolls sideways at {PHONE} px ({wide} px wide)")
    problems += [f"{where} (phone) {v}" for v in page.evaluate(RUN, WCAG)]
    if desktop:
        page.set_viewport_size(desktop)
    return problems


def test_signed_out_pages(page: Page, server: Server):
    problems = [
        p for path in ("/", "/login", "/register", "/verify", "/demo-rp") for p in check(page, path)
    ]
    assert problems == []


def test_a_citizens_pages(page: Page, server: Server):
    sign_in_demo_account(page, server, level=2)
    problems = [p for path in ("/", "/account", "/wallet") for p in check(page, path)]
    page.get_by_test_id("wallet-doc").first.click()
    problems += check(page)  # the document and its QR code
    page.get_by_test_id("verify-link").click()
    expect(page.get_by_test_id("verify-valid")).to_be_visible()
    problems += check(page)  # /verify with a valid result
    assert problems == []


def test_an_officers_pages(page: Page, server: Server):
    [(source_id,)] = server.query("SELECT id FROM linkage_source ORDER BY id LIMIT 1")
    dev_officer(page, "province-clerk")
    problems = check(page, "/")
    page.goto("/registry/search")
    page.get_by_test_id("name").fill("Nguyễn")
    page.get_by_test_id("search").click()
    expect(page.get_by_test_id("results")).to_be_visible()
    problems += check(page)  # the results
    page.get_by_test_id("results").locator("tbody a").first.click()
    expect(page.get_by_test_id("citizen-name")).to_be_visible()
    problems += check(page)  # a citizen's record
    page.get_by_test_id("to-ct07").click()
    expect(page.get_by_test_id("ct07")).to_be_visible()
    problems += check(page)  # the residence confirmation (CT07)
    for path in ("/linkage", f"/linkage/sources/{source_id}", "/linkage/queue"):
        problems += check(page, path)
    page.get_by_test_id("pick").first.check()
    page.get_by_test_id("accept-selected").click()
    expect(page.get_by_test_id("confirm-form")).to_be_visible()
    problems += check(page)  # the bulk accept's confirmation
    assert problems == []


def test_the_police_desk(page: Page, server: Server):
    dev_officer(page, "province-police")
    assert check(page, "/desk/level2") == []


def press_until_focused(page: Page, testid: str, limit: int = 40) -> None:
    """Tab forward until the element with ``testid`` has the focus (fails after ``limit``)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if (
            page.evaluate("document.activeElement && document.activeElement.dataset.testid")
            == testid
        ):
            return
    pytest.fail(f"Tab never reached {testid}")


def test_signing_in_with_the_keyboard_alone(page: Page, server: Server):
    [(pid, phone)] = server.query(
        """SELECT citizen_pid, phone FROM account WHERE kind = 'citizen' AND status = 'active'
             AND level = 1 AND id NOT IN (SELECT account_id FROM officer_role)
           ORDER BY id LIMIT 1"""  # a demo account (the oldest: other tests add their own)
    )
    page.goto("/login")
    press_until_focused(page, "pid")
    page.keyboard.type(pid)
    page.keyboard.press("Tab")  # the next field is the password
    assert page.evaluate("document.activeElement.dataset.testid") == "password"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/login/second-factor$"))
    code = sink_code(page, phone)
    press_until_focused(page, "otp-code")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/$"))
    # the focused element is visibly marked (an outline, not the browser's nothing)
    press_until_focused(page, "t-account")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/account$"))


def test_searching_with_the_keyboard_alone(page: Page, server: Server):
    dev_officer(page, "province-clerk")
    page.goto("/registry/search")
    press_until_focused(page, "name")
    page.keyboard.type("Nguyễn")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("results")).to_be_visible()
    first = page.get_by_test_id("results").locator("tbody a").first
    target = first.get_attribute("href") or ""
    for _ in range(80):  # from the search form down to the first result's link
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == target:
            break
    else:
        pytest.fail("Tab never reached the first result")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("citizen-name")).to_be_visible()
