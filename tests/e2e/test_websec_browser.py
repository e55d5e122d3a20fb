"""Issue 14 in real Chromium: a passkey sign-in from a ``next`` that a browser reads as
another site stays on this server, and the main pages run under the enforced Content
Security Policy without a single violation, their scripts still working (passkeys, QR codes,
Swagger UI)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import WAIT_MS, Server
from tests.e2e.test_identity_browser import (
    raise_at_the_desk,
    register,
    sign_in_with_sms,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PHISH = "/login?next=%2F%09%2Fevil.example%2Fphish"  # "/\t/evil.example/phish"
# Recorded in the page before any of its scripts run: every policy violation it reports.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""


INJECT_INLINE_SCRIPT = """
var s = document.createElement("script");
s.textContent = "window.__injected = 1;";
document.body.appendChild(s);
"""


@pytest.fixture
def localhost_tab(browser, server: Server) -> Iterator[tuple[Page, list[str]]]:  # type: ignore[no-untyped-def]
    """A tab on ``localhost`` (WebAuthn needs a domain) with Chromium's virtual
    authenticator; requests to any other host are aborted and listed."""
    port = urlsplit(server.url).port
    context = browser.new_context(base_url=f"http://localhost:{port}", locale="vi-VN")
    context.set_default_timeout(WAIT_MS)
    offsite: list[str] = []

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(route.request.url).netloc == f"localhost:{port}":
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    cdp = context.new_cdp_session(tab)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    yield tab, offsite
    context.close()


def test_a_passkey_sign_in_never_follows_next_to_another_site(
    localhost_tab: tuple[Page, list[str]], server: Server
):
    tab, offsite = localhost_tab
    pid, name, born = adult_with_a_valid_card(server, 0)
    phone = "0912000003"
    register(tab, pid, name, born, phone)
    sign_in_with_sms(tab, pid, phone)
    tab.get_by_test_id("passkey-name").fill("Khóa thử")
    tab.get_by_test_id("passkey-button-register").click()
    expect(tab.get_by_test_id("passkey-row")).to_contain_text("Khóa thử")
    tab.get_by_test_id("logout").click()
    expect(tab.get_by_test_id("sign-in")).to_be_visible()

    tab.goto(PHISH)
    tab.get_by_test_id("passkey-button-authenticate").click()

    expect(tab.get_by_test_id("t-account")).to_be_visible()  # signed in, at home
    here = urlsplit(tab.url)
    assert (here.hostname, here.path) == ("localhost", "/")
    tab.get_by_test_id("t-account").click()
    expect(tab.get_by_test_id("account-name")).to_have_text(name)
    assert offsite == []  # the browser never even asked evil.example


def adult_with_a_valid_card(server: Server, skip: int) -> tuple[str, str, date]:
    """(pid, full name, birth date) of a living adult without an account whose chip card is
    valid for a while (the desk refuses an expired one); taken from the oldest records, so
    the other browser tests' picks (newest first) do not move."""
    rows = server.query(
        """SELECT pid, full_name, birth_date FROM citizen c
           WHERE status = 'alive' AND birth_date < '2000-01-01'
             AND pid NOT IN (SELECT citizen_pid FROM account)
             AND EXISTS (SELECT 1 FROM id_card k WHERE k.citizen_id = c.id
                         AND k.status = 'issued' AND k.expires_on > date('now', '+1 year'))
           ORDER BY id LIMIT 1 OFFSET ?""",
        skip,
    )
    pid, name, born = rows[0]
    return pid, name, date.fromisoformat(born)


def _violations(tab: Page) -> list[str]:
    return list(tab.evaluate("window.__csp || []"))


def _visit(tab: Page, path: str, seen: dict[str, list[str]]) -> None:
    tab.goto(path)
    tab.wait_for_load_state("load")
    seen[path] = _violations(tab)


def test_the_main_pages_run_under_the_policy_without_a_violation(
    localhost_tab: tuple[Page, list[str]], server: Server
):
    tab, offsite = localhost_tab
    tab.context.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    tab.on("console", lambda m: console.append(m.text) if "Security Policy" in m.text else None)
    seen: dict[str, list[str]] = {}

    tab.goto("/login")  # first, the policy is enforced and a violation would be seen
    tab.evaluate(INJECT_INLINE_SCRIPT)
    tab.wait_for_function("window.__csp.length > 0")
    assert tab.evaluate("window.__injected") is None
    assert [v.split(" ")[0] for v in _violations(tab)] == ["script-src-elem"]
    console.clear()

    for path in ["/login", "/register", "/recover", "/verify", "/demo-rp", "/dev/login"]:
        _visit(tab, path, seen)
    expect(tab.get_by_test_id("officer-province-police")).to_be_visible()

    _visit(tab, "/docs", seen)  # its own policy: the initializer by hash
    expect(tab.locator(".swagger-ui .info .title")).to_contain_text("dancu")
    tab.locator(".opblock-summary").first.click()  # Swagger UI's script still works
    expect(tab.locator(".opblock.is-open")).to_have_count(1)
    seen["/docs (opened)"] = _violations(tab)

    pid, name, born = adult_with_a_valid_card(server, 1)
    register(tab, pid, name, born, "0912000004")  # the registration form, under the policy
    seen["/register/done"] = _violations(tab)
    sign_in_with_sms(tab, pid, "0912000004")
    seen["/account"] = _violations(tab)

    tab.get_by_test_id("totp-start").click()  # the enrolment QR code (inline SVG)
    expect(tab.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    seen["/account (QR)"] = _violations(tab)

    tab.get_by_test_id("passkey-name").fill("Khóa CSP")
    tab.get_by_test_id("passkey-button-register").click()  # passkeys.js under the policy
    expect(tab.get_by_test_id("passkey-row")).to_contain_text("Khóa CSP")
    seen["/account (passkey)"] = _violations(tab)

    raise_at_the_desk(tab.context.browser, server, pid)  # demo documents need level 2
    _visit(tab, "/wallet", seen)
    tab.get_by_test_id("demo-documents").click()
    tab.get_by_test_id("wallet-doc").first.click()
    tab.get_by_test_id("make-qr").click()
    expect(tab.get_by_test_id("qr").locator("svg")).to_be_visible()
    seen["/wallet/<document> (QR)"] = _violations(tab)
    tab.get_by_test_id("verify-link").click()
    seen["/verify?p=..."] = _violations(tab)

    tab.goto("/account")
    tab.get_by_test_id("logout").click()
    tab.goto("/dev/login")
    tab.get_by_test_id("officer-province-police").click()
    expect(tab).to_have_url(re.compile(r"/$"))
    _visit(tab, "/registry/search?name=nguyen", seen)
    tab.locator('[data-testid="results"] a').first.click()
    expect(tab.get_by_test_id("citizen-name")).to_be_visible()
    seen["/registry/citizens/<pid>"] = _violations(tab)
    _visit(tab, "/desk/level2", seen)
    _visit(tab, "/linkage", seen)

    assert {path: found for path, found in seen.items() if found} == {}
    assert console == []
    assert offsite == []
