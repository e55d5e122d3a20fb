"""Online public services in real Chromium, on the demo province.

1. A demo citizen whose wallet holds no vehicle registration is asked to upload it; a demo
   citizen whose wallet holds one is not (the page says the data was reused); the second
   submits, gets a receipt with a due date, and the commune's police officer approves.
2. A demo citizen registers a child's birth through the inter-connected procedure; the
   commune's one-stop-shop officer approves the justice step, and the child is found in the
   registry by a clerk."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dancu.demo.accounts import DEMO_PASSWORD
from tests.e2e.conftest import Server, _new_page
from tests.e2e.test_identity_browser import sink_code

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
VEHICLE = "2.001256"  # withdraw a vehicle's registration: the registration is a component
BIRTH = "1.013124"  # birth + permanent residence + health-insurance card under 6


def _citizen(server: Server, level: int) -> tuple[str, str, str]:
    """(pid, phone, sex) of a demo citizen account of this level without an officer role."""
    rows = server.query(
        """SELECT a.citizen_pid, a.phone, c.sex FROM account a
             JOIN citizen c ON c.pid = a.citizen_pid
            WHERE a.kind = 'citizen' AND a.status = 'active' AND a.level = ?
              AND a.id NOT IN (SELECT account_id FROM officer_role)
              -- a demo account (its phone is made from the ID number): other browser tests
              -- register accounts with passwords of their own on this same server
              AND a.phone = '+849' || substr(a.citizen_pid, 5)
            ORDER BY a.id DESC LIMIT 1""",
        level,
    )
    return rows[0]


def _officer(server: Server, role: str) -> tuple[str, str]:
    rows = server.query(
        """SELECT a.citizen_pid, a.phone FROM account a
             JOIN officer_role r ON r.account_id = a.id
            WHERE r.role = ? AND r.revoked_at IS NULL ORDER BY a.id LIMIT 1""",
        role,
    )
    return rows[0]


def sign_in(page: Page, pid: str, phone: str, target: str) -> None:
    page.goto(f"/login?next={target}")
    page.get_by_test_id("pid").fill(pid)
    page.get_by_test_id("password").fill(DEMO_PASSWORD)
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(r"/login/second-factor$"))
    if page.get_by_test_id("totp-form").count():  # level 2: the SMS code instead of the app
        page.get_by_test_id("send-code").click()
    page.get_by_test_id("otp-code").fill(sink_code(page, phone))
    page.get_by_test_id("otp-submit").click()
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))


def test_reused_wallet_data_asks_fewer_documents_and_the_commune_approves(
    page: Page, browser, server: Server, offsite_requests: list[str]
) -> None:
    target = f"/procedures/{VEHICLE}/apply"
    pid1, phone1, _ = _citizen(server, 1)
    sign_in(page, pid1, phone1, target)
    expect(page.get_by_test_id("asked-registration")).to_be_visible()
    expect(page.get_by_test_id("field-pid")).to_have_value(pid1)  # prefilled from the registry

    context, tab = _new_page(browser, server, offsite_requests)
    pid2, phone2, _ = _citizen(server, 2)
    sign_in(tab, pid2, phone2, target)
    expect(tab.get_by_test_id("field-pid")).to_have_value(pid2)
    expect(tab.get_by_test_id("nothing-asked")).to_be_visible()
    expect(tab.get_by_test_id("asked-components")).to_have_count(0)
    reused = tab.locator("[data-testid='reused-component'][data-key='registration']")
    expect(reused).to_contain_text("ví giấy tờ")  # ... and where it came from: the wallet
    tab.get_by_test_id("submit-dossier").click()
    expect(tab.get_by_test_id("receipt")).to_be_visible()
    code = tab.get_by_test_id("dossier-code").inner_text().strip()
    expect(tab.get_by_test_id("due-on")).to_have_text(re.compile(r"\d{2}/\d{2}/\d{4}"))
    context.close()

    police_context, police = _new_page(browser, server, offsite_requests)
    pid, phone = _officer(server, "police")
    sign_in(police, pid, phone, "/procedure-console")
    police.get_by_role("link", name=code).click()
    police.get_by_test_id("approve").click()
    expect(police).to_have_url(re.compile(r"/procedure-console\?done="))
    police.goto(f"/procedure-console/dossiers/{code}")
    expect(police.get_by_test_id("dossier-status")).to_have_attribute("data-status", "approved")
    police_context.close()
    assert server.query("SELECT status FROM procedure_dossier WHERE code = ?", code) == [
        ("approved",)
    ]


def test_a_birth_through_the_inter_connected_procedure_reaches_the_registry(
    page: Page, browser, server: Server, offsite_requests: list[str], tmp_path: Path
) -> None:
    pid, phone, _sex = _citizen(server, 1)
    target = f"/procedures/{BIRTH}/apply"
    sign_in(page, pid, phone, target)
    born = date.today() - timedelta(days=10)
    page.get_by_test_id("field-child_name").fill("Nguyễn Bảo Ngọc")
    page.get_by_test_id("field-child_birth_date").fill(born.strftime("%d/%m/%Y"))
    page.get_by_test_id("field-child_sex").select_option("F")
    page.get_by_test_id("field-place_of_birth").fill("Trạm y tế xã")
    scan = tmp_path / "giay-chung-sinh.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.get_by_test_id("file-birth_certificate").set_input_files(str(scan))
    page.get_by_test_id("submit-dossier").click()
    expect(page.get_by_test_id("receipt")).to_be_visible()
    code = page.get_by_test_id("dossier-code").inner_text().strip()

    context, officer = _new_page(browser, server, offsite_requests)
    opid, ophone = _officer(server, "procedure_officer")
    sign_in(officer, opid, ophone, "/procedure-console")
    officer.get_by_role("link", name=code).click()
    officer.get_by_test_id("approve").click()  # the justice step: the birth is registered
    expect(officer).to_have_url(re.compile(r"/procedure-console\?done="))
    context.close()

    page.goto(f"/my-dossiers/{code}")
    child_pid = page.get_by_test_id("child-pid").inner_text().strip()
    assert re.fullmatch(r"\d{12}", child_pid)

    clerk_context, clerk = _new_page(browser, server, offsite_requests)
    clerk.goto("/dev/login")
    clerk.get_by_test_id("officer-province-clerk").click()
    clerk.goto("/registry/search?name=Nguyen+Bao+Ngoc&purpose=civil_status")
    expect(clerk.get_by_test_id("results")).to_contain_text("Nguyễn Bảo Ngọc")
    expect(clerk.locator(f"[data-testid='results'] a[href*='{child_pid}']")).to_have_count(1)
    clerk_context.close()
