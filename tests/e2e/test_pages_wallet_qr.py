"""The wallet's QR code on a 390 px phone, in real Chromium: it holds a short link (at most
41 modules a side), is drawn at 4 px a module or more, sits on the first screen, and the
link opens the verify page with the document valid."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_pages_readable import sign_in_demo_account

# what sticks out past the phone's width, named in the failure message
WIDER_THAN_THE_PHONE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 391)
  .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`)
  .slice(0, 12)"""

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_on_a_phone_the_qr_is_small_sharp_and_on_the_first_screen(phone: Page, server: Server):
    sign_in_demo_account(phone, server, level=2)
    phone.goto("/wallet")
    phone.get_by_test_id("wallet-doc").first.click()
    expect(phone).to_have_url(re.compile(r"/wallet/[^/]+$"))
    figure = phone.get_by_test_id("qr")
    modules = int(figure.get_attribute("data-modules") or "0")
    assert 21 <= modules <= 41
    box = figure.locator("svg").bounding_box()
    assert box is not None
    assert box["width"] / (modules + 8) >= 4  # px a module, the quiet zone included
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844  # no scrolling to reach it
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    phone.wait_for_load_state("load")  # measured once styles and fonts are in, not mid-load
    width = phone.evaluate("document.fonts.ready.then(() => document.documentElement.scrollWidth)")
    assert width <= 390, phone.evaluate(WIDER_THAN_THE_PHONE)

    link = phone.get_by_test_id("qr-link").inner_text()
    assert re.fullmatch(r"https?://[^/]+/v/[A-Za-z0-9_-]{22}", link)
    verifier = phone.context.new_page()  # the verifier's camera opens the same address
    verifier.goto(link)
    expect(verifier.get_by_test_id("verify-valid")).to_be_visible()
    verifier.close()
