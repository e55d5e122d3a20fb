"""The wallet document's "presentation to copy", once opened, is a labelled text box: axe
found its textarea without a name (critical), which test_pages_accessibility's closed
<details> did not reach."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_pages_accessibility import check
from tests.e2e.test_pages_readable import sign_in_demo_account

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_the_opened_presentation_has_a_name(page: Page, server: Server) -> None:
    sign_in_demo_account(page, server, level=2)
    page.goto("/wallet")
    page.get_by_test_id("wallet-doc").first.click()
    page.locator("details summary").first.click()
    expect(page.get_by_test_id("presentation")).to_be_visible()
    assert check(page) == []
