"""The account page on a phone, in both languages: its tables (sessions, consents, who
accessed my data, usage history) stack into labelled rows instead of squeezing five columns
into 390 px, where English words such as "administrative" pushed the page sideways and the
"Sign out this session" button broke into one letter a line."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_pages_readable import sign_in_demo_account

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
PHONE = 390


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_account_page_fits_a_phone(phone: Page, server: Server, lang: str) -> None:
    sign_in_demo_account(phone, server, level=1)
    phone.goto(f"/?lang={lang}")
    phone.goto("/account")
    expect(phone.get_by_test_id("access-log")).to_be_visible()  # the demo's dossiers read it
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE
    revoke = phone.get_by_test_id("revoke").first.bounding_box()
    assert revoke is not None and revoke["height"] < 3 * 24, revoke  # at most two lines
    # each cell says which column it is, since the header row is hidden on a phone
    for table in ("sessions", "access-log", "history"):
        cell = phone.get_by_test_id(table).locator("tbody td").first
        assert cell.get_attribute("data-label"), table
