"""Every role, from sign-in to the home page and through every link it is shown, in real
Chromium: nobody lands on a refusal, and no link in the header or on the home page answers
403, 404 or 500 (every response the browser receives is collected, assets included).

Roles: signed out; the demo officers of the development sign-in (province clerk, province
police, commune clerk, steering viewer); and the demo e-ID accounts signed in with the
password and the SMS code (a citizen, the commune's registry clerk, the commune police at
level 2, the procedure officer, the steering viewer)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Response, expect

from dancu.demo.accounts import DEMO_PASSWORD
from tests.e2e.conftest import Server
from tests.e2e.test_identity_browser import sink_code

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

BAD = (403, 404, 500)
# the header's links and the home page's; not the language switch, which stays on the page
LINKS = "header nav a[data-testid]:not([data-testid^='lang-']), main ul.tasks a"


def collect_failures(page: Page) -> list[str]:
    failures: list[str] = []

    def seen(response: Response) -> None:
        if response.status in BAD:
            failures.append(f"{response.status} {response.url}")

    page.on("response", seen)
    return failures


def walk(page: Page, failures: list[str]) -> list[str]:
    """From the home page, open every link shown; returns the paths visited."""
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("error")).to_have_count(0)
    hrefs = sorted({a.get_attribute("href") or "" for a in page.locator(LINKS).all()})
    for href in hrefs:
        answer = page.goto(href)
        assert answer is not None and (href, answer.status) == (href, 200)
        page.goto("/")
    assert failures == []
    return hrefs


def test_signed_out_the_home_page_leads_to_sign_in_registration_and_the_services(
    page: Page, server: Server
):
    failures = collect_failures(page)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Cơ sở dữ liệu dân cư và định danh điện tử"
    )
    visited = walk(page, failures)
    assert {"/login", "/register", "/verify", "/demo-rp", "/dev/login"} <= set(visited)


# demo officer -> pages its links must include, pages they must not
DEV_OFFICERS = {
    "province-clerk": ({"/registry/search", "/linkage", "/linkage/queue"}, {"/desk/level2"}),
    "province-police": ({"/registry/search", "/desk/level2", "/linkage"}, set()),
    "commune-clerk": ({"/registry/search", "/linkage", "/linkage/queue"}, {"/desk/level2"}),
    "steering-viewer": ({"/linkage"}, {"/registry/search", "/desk/level2", "/linkage/queue"}),
}


def dataset_links_answer(page: Page, server: Server) -> list[str]:
    """On a demo dataset's report, every link (downloads included, fetched rather than
    opened) answers without refusal; returns the actions offered."""
    [(source_id,)] = server.query("SELECT id FROM linkage_source ORDER BY id LIMIT 1")
    page.goto(f"/linkage/sources/{source_id}")
    expect(page.get_by_test_id("source-name")).to_be_visible()
    hrefs = {a.get_attribute("href") or "" for a in page.locator("main a[href]").all()}
    for href in sorted(h for h in hrefs if h.startswith("/")):
        status = page.request.get(href, max_redirects=0).status
        assert (href, status) == (href, 200)
    actions = ("run", "export-csv", "export-xlsx", "export-problems", "queue-link")
    return [a for a in actions if page.get_by_test_id(a).count()]


@pytest.mark.parametrize("officer", sorted(DEV_OFFICERS))
def test_a_demo_officer_lands_home_and_every_link_opens(page: Page, server: Server, officer):
    failures = collect_failures(page)
    page.goto("/dev/login")
    page.get_by_test_id(f"officer-{officer}").click()
    visited = set(walk(page, failures))
    shown, hidden = DEV_OFFICERS[officer]
    assert shown <= visited and hidden.isdisjoint(visited)
    actions = dataset_links_answer(page, server)
    assert actions == DATASET_ACTIONS[officer]
    assert failures == []


# what a demo dataset's report offers each: re-sync and exports only to the province's
# officers, the cleaning queue to those who clean
DATASET_ACTIONS = {
    "province-clerk": ["run", "export-csv", "export-xlsx", "export-problems", "queue-link"],
    "province-police": ["run", "export-csv", "export-xlsx", "export-problems", "queue-link"],
    "commune-clerk": ["queue-link"],
    "steering-viewer": [],
}

# role in officer_role (None: a citizen without one) -> pages its links must include
ACCOUNTS = {
    None: {"/account", "/wallet"},
    "registry_clerk": {"/registry/search", "/linkage", "/linkage/queue", "/account"},
    "police": {"/registry/search", "/desk/level2", "/account"},
    "procedure_officer": {"/registry/search", "/account"},
    "steering_viewer": {"/linkage", "/account"},
}


def demo_account(server: Server, role: str | None) -> tuple[str, str]:
    """(pid, phone) of the demo e-ID account with this officer role (or none)."""
    if role is None:
        rows = server.query(
            """SELECT citizen_pid, phone FROM account WHERE kind = 'citizen'
                 AND status = 'active' AND id NOT IN (SELECT account_id FROM officer_role)
               ORDER BY id LIMIT 1"""
        )
    else:
        rows = server.query(
            """SELECT a.citizen_pid, a.phone FROM account a
               JOIN officer_role r ON r.account_id = a.id
               WHERE r.role = ? AND r.revoked_at IS NULL ORDER BY a.id LIMIT 1""",
            role,
        )
    return rows[0]


@pytest.mark.parametrize("role", list(ACCOUNTS), ids=lambda r: r or "citizen")
def test_an_e_id_account_signs_in_lands_home_and_every_link_opens(page: Page, server: Server, role):
    pid, phone = demo_account(server, role)
    failures = collect_failures(page)
    page.goto("/")
    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("pid").fill(pid)
    page.get_by_test_id("password").fill(DEMO_PASSWORD)
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(r"/login/second-factor$"))
    if page.get_by_test_id("totp-form").count():  # level 2: ask for the SMS code instead
        page.get_by_test_id("send-code").click()
    page.get_by_test_id("otp-code").fill(sink_code(page, phone))
    page.get_by_test_id("otp-submit").click()
    visited = set(walk(page, failures))
    assert ACCOUNTS[role] <= visited
    if role in (None, "steering_viewer"):
        assert "/registry/search" not in visited and "/desk/level2" not in visited
