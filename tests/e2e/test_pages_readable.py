"""No code on a page, and every figure says what it covers, in real Chromium (issue 10,
"Codes shown to people" and "Figures that disagree"): /verify lists the fields in the
document's order in a green box; a dataset's page names who imported it, says where each
field comes from and names the fields of its problems; the English queue has proper labels;
the session list names the browser and the system; a commune's and the province's clerk see
their rates under labels that name their area, each rate counted over that area."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dancu.demo.accounts import DEMO_PASSWORD
from tests.e2e.conftest import Server
from tests.e2e.test_identity_browser import sink_code

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CODES = re.compile(r"\b(system:|urn:|record_key|id_number|commune_code|full_name|ma_so_bhxh ←)")


def sign_in_demo_account(page: Page, server: Server, level: int) -> None:
    """A demo citizen's e-ID account without an officer role, with password and SMS code."""
    [(pid, phone)] = server.query(
        """SELECT citizen_pid, phone FROM account WHERE kind = 'citizen' AND status = 'active'
             AND level = ? AND id NOT IN (SELECT account_id FROM officer_role)
           ORDER BY id LIMIT 1""",
        level,
    )
    page.goto("/login")
    page.get_by_test_id("pid").fill(pid)
    page.get_by_test_id("password").fill(DEMO_PASSWORD)
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(r"/login/second-factor$"))
    if page.get_by_test_id("totp-form").count():  # level 2: the SMS code instead
        page.get_by_test_id("send-code").click()
    page.get_by_test_id("otp-code").fill(sink_code(page, phone))
    page.get_by_test_id("otp-submit").click()
    expect(page).to_have_url(re.compile(r"/$"))


def dev_officer(page: Page, officer: str) -> None:
    page.goto("/dev/login")
    page.get_by_test_id(f"officer-{officer}").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_verify_lists_the_fields_in_the_documents_order_in_a_green_box(page: Page, server):  # type: ignore[no-untyped-def]
    sign_in_demo_account(page, server, level=2)
    page.goto("/wallet")
    page.get_by_test_id("wallet-doc").first.click()
    for box in page.locator("[data-testid^='field-']").all():  # disclose every field
        box.check()
    page.get_by_test_id("make-qr").click()
    shown = [
        (t.get_attribute("data-testid") or "")[len("value-") :]
        for t in page.locator("[data-testid^='value-']").all()
    ]
    page.get_by_test_id("verify-link").click()
    valid = page.get_by_test_id("verify-valid")
    expect(valid).to_be_visible()
    listed = [
        (d.get_attribute("data-testid") or "")[len("claim-") :]
        for d in valid.locator("dd[data-testid^='claim-']").all()
    ]
    # the holder's name, birth date, sex and ID number first, then the document's own
    assert listed[:4] == ["full_name", "birth_date", "sex", "personal_id"]
    assert listed == shown
    expect(valid.get_by_test_id("claim-birth_date")).to_have_text(re.compile(r"^\d\d/\d\d/\d{4}$"))
    background = valid.evaluate("e => getComputedStyle(e).backgroundColor")
    red, green, blue = (int(x) for x in re.findall(r"\d+", background)[:3])
    assert green > red and green > blue, background  # green, not the amber of a warning


def test_the_sessions_list_names_the_browser_and_the_system(page: Page, server: Server):
    sign_in_demo_account(page, server, level=1)
    page.goto("/account")
    device = page.get_by_test_id("session-device").first
    expect(device).to_have_text("Chrome trên Linux")
    expect(page.get_by_test_id("sessions")).not_to_contain_text("Mozilla/")


def test_a_dataset_page_says_who_imported_it_and_where_fields_come_from(page: Page, server):  # type: ignore[no-untyped-def]
    [(source_id,)] = server.query(
        "SELECT source_id FROM linkage_problem GROUP BY source_id ORDER BY count(*) DESC LIMIT 1"
    )
    dev_officer(page, "province-clerk")
    page.goto(f"/linkage/sources/{source_id}")
    main = page.locator("main")
    expect(page.get_by_test_id("imported-by")).to_contain_text("dancu demo")
    expect(page.get_by_test_id("mapping")).to_contain_text(
        re.compile(r"Họ và tên: cột “ho_ten\w*” của tệp")
    )
    expect(page.get_by_test_id("problems")).to_be_visible()
    assert CODES.search(main.inner_text()) is None, CODES.search(main.inner_text())


def test_a_synchronization_run_names_who_asked_for_it(page: Page, server: Server):
    """The run's page showed the requester's id ("system:demo"), not a name."""
    [(job_id,)] = server.query("SELECT id FROM linkage_job ORDER BY id LIMIT 1")  # the demo's
    dev_officer(page, "province-clerk")
    page.goto(f"/linkage/jobs/{job_id}")
    asked = page.get_by_test_id("requested-by")
    expect(asked).to_contain_text("Trình tạo dữ liệu mẫu (dancu demo)")
    assert CODES.search(page.locator("main").inner_text()) is None
    assert "system:" not in page.locator("main").inner_text()


def test_the_english_queue_has_proper_labels(page: Page, server: Server):
    dev_officer(page, "province-clerk")
    page.goto("/linkage/queue?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cleaning queue")
    text = "\n".join(i.inner_text() for i in page.get_by_test_id("item").all())
    for code in ("commune code", "synced with differences", "probable match", "full name"):
        assert code not in text
    assert "Synchronized, fields differ" in text or "Probable match" in text


def area_rates(page: Page) -> dict[str, tuple[str, str, str]]:
    """Dataset name -> (area, records in the area, the rate's text) on the datasets page."""
    page.goto("/linkage")
    rows = page.get_by_test_id("sources").locator("tbody tr").all()
    return {
        r.locator("td").first.inner_text(): (
            r.get_by_test_id("source-scope").inner_text(),
            r.get_by_test_id("source-records").inner_text(),
            r.get_by_test_id("source-rate").inner_text(),
        )
        for r in rows
    }


def test_a_commune_and_the_province_see_rates_labelled_with_their_area(page: Page, server):  # type: ignore[no-untyped-def]
    dev_officer(page, "commune-clerk")
    commune = area_rates(page)
    dev_officer(page, "province-clerk")
    province = area_rates(page)
    assert commune.keys() == province.keys() and commune
    for name, (area, records, rate) in commune.items():
        assert area.startswith(("Phường", "Xã")) and province[name][0] == "Tỉnh Đắk Lắk"
        # the rate's counts are the area's: its denominator is the records shown beside it
        assert rate.endswith(f"/{records})") and province[name][2].endswith(
            f"/{province[name][1]})"
        )
        assert int(records.replace(".", "")) < int(province[name][1].replace(".", ""))
    expect(page.get_by_test_id("rate-definition")).to_contain_text("Tỷ lệ đồng bộ")
    page.goto("/")
    expect(page.get_by_test_id("sync-rate-label")).to_contain_text("Tỉnh Đắk Lắk")
