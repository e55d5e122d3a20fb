"""Fees and signed results in real Chromium, on the demo province: a level-2 citizen submits
a prefilled dossier, pays through the simulated gateway (after seeing the VietQR), the
commune's one-stop-shop officer approves, the signed result PDF verifies against the demo
provincial CA, and the result is in the citizen's wallet and verifies."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dancu.procedures.documents import authority, signing
from tests.e2e.conftest import Server, _new_page
from tests.e2e.test_procedures_browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
MARITAL_STATUS = "1.004873"  # a commune's certificate: 15,000 đ, a credential in the wallet


def _officer_and_citizen(server: Server) -> tuple[tuple[str, str], tuple[str, str]]:
    """The one-stop-shop officer, and a level-2 citizen of the officer's commune."""
    opid, ophone, unit = server.query(
        """SELECT a.citizen_pid, a.phone, r.unit_code FROM account a
             JOIN officer_role r ON r.account_id = a.id
            WHERE r.role = 'procedure_officer' AND r.revoked_at IS NULL ORDER BY a.id LIMIT 1"""
    )[0]
    pid, phone = server.query(
        """SELECT a.citizen_pid, a.phone FROM account a
            WHERE a.kind = 'citizen' AND a.status = 'active' AND a.level = 2
              AND a.commune_code = ?
              AND a.id NOT IN (SELECT account_id FROM officer_role)
              -- a demo account (its phone is made from the ID number): other browser tests
              -- register accounts with passwords of their own on this same server
              AND a.phone = '+849' || substr(a.citizen_pid, 5)
            ORDER BY a.id DESC LIMIT 1""",
        unit,
    )[0]
    return (opid, ophone), (pid, phone)


def test_pay_approve_and_the_signed_result_verifies_in_pdf_and_wallet(
    page: Page, browser, server: Server, offsite_requests: list[str]
) -> None:
    (opid, ophone), (pid, phone) = _officer_and_citizen(server)
    sign_in(page, pid, phone, f"/procedures/{MARITAL_STATUS}/apply")
    page.get_by_test_id("field-purpose").fill("Kết hôn")
    page.get_by_test_id("submit-dossier").click()
    expect(page.get_by_test_id("receipt")).to_be_visible()
    code = page.get_by_test_id("dossier-code").inner_text().strip()

    page.get_by_test_id("pay").click()  # the payment page: a VietQR, and the gateway
    expect(page.locator("[data-testid='vietqr'] svg")).to_be_visible()
    page.get_by_test_id("pay-simulated").click()
    expect(page.get_by_test_id("gateway-amount")).to_contain_text("15.000")
    page.get_by_test_id("gateway-pay").click()
    expect(page).to_have_url(re.compile(re.escape(f"/my-dossiers/{code}") + "$"))
    expect(page.get_by_test_id("fee-state")).to_contain_text("đã thanh toán")

    context, officer = _new_page(browser, server, offsite_requests)
    sign_in(officer, opid, ophone, "/procedure-console")
    officer.get_by_role("link", name=code).click()
    officer.get_by_test_id("approve").click()
    expect(officer).to_have_url(re.compile(r"/procedure-console\?done="))
    context.close()

    page.goto(f"/my-dossiers/{code}")
    expect(page.get_by_test_id("dossier-status")).to_have_attribute("data-status", "approved")
    link = page.get_by_test_id("result-pdf")
    expect(link).to_be_visible()
    pdf = page.request.get(str(link.get_attribute("href"))).body()
    roots = authority.trusted_roots(server.db_path.parent / "procedures-ca")
    outcome = signing.verify_result(pdf, trust=roots)
    assert outcome.valid and outcome.intact and outcome.trusted, outcome
    assert outcome.agency.startswith("Ủy ban nhân dân ")

    page.goto("/wallet")
    expect(page.get_by_text("Kết quả thủ tục hành chính").first).to_be_visible()
    ((sd_jwt,),) = server.query(
        "SELECT sd_jwt FROM wallet_credential WHERE citizen_pid = ? AND doc_type = ?",
        pid,
        "procedure_result",
    )
    checked = page.request.post("/api/wallet/verify", data={"presentation": sd_jwt})
    assert checked.ok, checked.text()
    assert checked.json()["valid"] is True
