"""The finance officer's page in real Chromium, on the demo province: ``dancu demo`` paid a
few dossiers by its simulated statement and left transfers to review; a file that is no
statement is refused with its reason on the page and pays nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_the_finance_officer_sees_the_transfers_to_review_and_reimports_safely(
    page: Page, server: Server, tmp_path
) -> None:
    paid_before = server.query(
        "SELECT count(*) FROM procedure_dossier WHERE paid_reference LIKE 'bank_transfer:%'"
    )[0][0]
    assert paid_before > 0  # the demo paid a few dossiers by its simulated statement
    page.goto("/dev/login")
    page.get_by_test_id("officer-finance-officer").click()
    page.get_by_test_id("nav-procedure-fees").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Phí, lệ phí nộp qua chuyển khoản")
    expect(
        page.get_by_test_id("to-review").or_(page.get_by_test_id("nothing-to-review"))
    ).to_be_visible()
    statement = tmp_path / "statement.xml"
    statement.write_bytes(b"<not a statement/>")
    page.locator("input[type=file]").set_input_files(str(statement))
    page.get_by_role("button", name="Nhập sao kê").click()
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "payments.file_malformed")
    paid_after = server.query(
        "SELECT count(*) FROM procedure_dossier WHERE paid_reference LIKE 'bank_transfer:%'"
    )[0][0]
    assert paid_after == paid_before
