"""axe-core on the social-payment pages of the province's preparer (the enrolment form
among them), as tests/e2e/test_pages_accessibility.py does for the other roles' pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Server
from tests.e2e.test_pages_accessibility import check
from tests.e2e.test_pages_readable import dev_officer

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_the_enrolment_form(page: Page, server: Server) -> None:
    dev_officer(page, "social-preparer")
    assert check(page, "/payments/enrol") == []
