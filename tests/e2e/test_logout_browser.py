"""Signing out in real Chromium: the sample portal's "sign out" ends the e-ID session through
the provider's end_session_endpoint and comes back; a logout link without an ID token asks
the holder first."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dancu.demo.accounts import DEMO_PASSWORD
from tests.e2e.conftest import Server
from tests.e2e.test_identity_browser import sink_code

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _citizen(server: Server, skip: int) -> tuple[str, str, str]:
    """(pid, phone, name) of a level-1 demo citizen who is no officer."""
    rows = server.query(
        """SELECT a.citizen_pid, a.phone, c.full_name FROM account a
           JOIN citizen c ON c.pid = a.citizen_pid
           WHERE a.level = 1 AND a.kind = 'citizen' AND a.status = 'active'
             AND a.id NOT IN (SELECT account_id FROM officer_role)
           ORDER BY a.id LIMIT 1 OFFSET ?""",
        skip,
    )
    return rows[0]


def _provider_sign_in(page: Page, pid: str, phone: str) -> None:
    """The provider's own sign-in page: password, then the SMS code."""
    page.get_by_test_id("pid").fill(pid)
    page.get_by_test_id("password").fill(DEMO_PASSWORD)
    page.get_by_test_id("submit").click()
    page.get_by_test_id("otp-code").fill(sink_code(page, phone))
    page.get_by_test_id("otp-submit").click()


def test_the_portal_signs_out_of_the_portal_and_the_e_id(page: Page, server: Server):
    pid, phone, name = _citizen(server, 1)
    page.goto("/demo-rp")
    page.get_by_test_id("rp-login").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    _provider_sign_in(page, pid, phone)
    page.get_by_test_id("consent-allow").click()
    expect(page.get_by_test_id("rp-name")).to_have_text(name)

    page.goto("/demo-rp")  # the portal keeps its own session
    expect(page.get_by_test_id("rp-name")).to_have_text(name)
    page.get_by_test_id("rp-logout").click()
    # the provider ended the session at once (the hint named it) and sent the browser back
    expect(page).to_have_url(re.compile(r"/demo-rp/signed-out\?state="))
    expect(page.get_by_test_id("rp-signed-out")).to_be_visible()
    expect(page.get_by_test_id("rp-logout")).to_have_count(0)
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next="))  # the e-ID session is over


def test_a_logout_link_without_an_id_token_asks_first(page: Page, server: Server):
    pid, phone, _name = _citizen(server, 2)
    page.goto("/login?next=/account")
    _provider_sign_in(page, pid, phone)
    expect(page).to_have_url(re.compile(r"/account$"))

    page.goto("/oidc/logout?client_id=demo-portal")
    expect(page.get_by_test_id("logout-title")).to_have_text(
        "Đăng xuất khỏi tài khoản định danh điện tử?"
    )
    expect(page.get_by_test_id("logout-client")).to_contain_text("Cổng dịch vụ công mẫu")
    page.goto("/account")  # only looking at the page signed nobody out
    expect(page).to_have_url(re.compile(r"/account$"))

    page.goto("/oidc/logout?client_id=demo-portal")
    page.get_by_test_id("logout-confirm").click()
    expect(page.get_by_test_id("logout-done")).to_have_text("Bạn đã đăng xuất")
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next="))
