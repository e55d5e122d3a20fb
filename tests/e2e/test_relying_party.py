"""The sample portal signs a demo citizen in through the provider, as any relying party:
code flow with PKCE, the provider's sign-in with the SMS code, consent, then the portal
shows the registry claims the ID token and userinfo carried."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dancu.demo.accounts import DEMO_PASSWORD
from tests.e2e.conftest import Server
from tests.e2e.test_identity_browser import sink_code

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_a_demo_citizen_signs_in_to_the_sample_portal(page: Page, server: Server):
    [(pid, phone, name)] = server.query(
        """SELECT a.citizen_pid, a.phone, c.full_name FROM account a
           JOIN citizen c ON c.pid = a.citizen_pid
           WHERE a.level = 1 AND a.kind = 'citizen' AND a.status = 'active'
             AND a.citizen_pid NOT IN (SELECT a2.citizen_pid FROM account a2
                                       JOIN officer_role r ON r.account_id = a2.id)
           ORDER BY a.id LIMIT 1"""
    )
    page.goto("/demo-rp")
    expect(page.get_by_test_id("rp-title")).to_have_text("Cổng dịch vụ công mẫu")
    page.get_by_test_id("rp-login").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))  # the provider's own sign-in
    page.get_by_test_id("pid").fill(pid)
    page.get_by_test_id("password").fill(DEMO_PASSWORD)
    page.get_by_test_id("submit").click()
    page.get_by_test_id("otp-code").fill(sink_code(page, phone))
    page.get_by_test_id("otp-submit").click()
    expect(page.get_by_test_id("consent-client")).to_have_text("Cổng dịch vụ công mẫu")
    page.get_by_test_id("consent-allow").click()
    expect(page.get_by_test_id("rp-name")).to_have_text(name)
    expect(page.get_by_test_id("rp-pid")).to_have_text(pid)
    expect(page.get_by_test_id("rp-acr")).to_have_text("Mức 1")  # not the acr URN
    expect(page.get_by_test_id("rp-address")).to_contain_text("Tỉnh Đắk Lắk")

    # a level-1 account asking for level 2 is refused at the portal, not signed in
    page.get_by_test_id("rp-login-level2").click()
    expect(page.get_by_test_id("rp-error")).to_have_attribute("data-code", "access_denied")
    expect(page.get_by_test_id("rp-error")).not_to_contain_text("access_denied")
