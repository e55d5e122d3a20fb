"""What a newcomer saw wrong on the pages in Chromium, at 1280 and 390 px:

- a radio button or a check box stood centred above its words, apart from them (every
  label was a column: right for a text field, wrong for a choice);
- a procedure's and a dossier's facts (fee, time limit, due date) were small grey text in the
  browser's bare definition list, not the summary box the other records use;
- the public-service figures on a phone squeezed each number under its own heading, pushed
  right by the mobile table layout meant for tables with column headings;
- the apology slip's new date was the browser's date field, which Chromium shows as
  "mm/dd/yyyy" in English on a Vietnamese page: it takes dd/mm/yyyy like every other date;
- a dossier without form data showed its "Form" heading over an empty box, and its
  approve, supplement and refuse buttons were the same red;
- a hospital administrator who mistyped the kiosk's enrolment code read "this machine is
  not enrolled", not that the code was wrong;
- a patient who typed 11 digits at a hospital's kiosk read "the card or QR code could not
  be read", and one who typed an unknown number read "... in your area", an officer's words;
- a signed-in citizen's account and wallet pages repeated the header's links in a second
  row: two "Sign out" buttons, the wallet under two names;
- the wallet listed each document's "valid until" as the credential's timestamp (10:38:18
  02/12/2036) where the document's page said its own end of validity (18/04/2034)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_exchange_browser import HOSPITAL, _dancu
from tests.e2e.test_pages_readable import dev_officer, sign_in_demo_account

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

RESIDENCE = "1.004227"  # confirmation of residence: everything comes from the registry
PHONE = {"width": 390, "height": 844}


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def test_a_radio_button_sits_before_its_words(page: Page, server: Server):
    sign_in_demo_account(page, server, level=2)
    page.goto(f"/procedures/{RESIDENCE}/apply")
    for size in (page.viewport_size, PHONE):
        page.set_viewport_size(size)  # type: ignore[arg-type]
        for value in ("wallet", "post", "counter"):
            label = _box(page, f"label:has(> input[name=delivery][value={value}])")
            radio = _box(page, f"input[name=delivery][value={value}]")
            assert radio["x"] - label["x"] < 8, (size, value, radio, label)  # at its left
            assert radio["y"] >= label["y"] and radio["y"] + radio["height"] <= (
                label["y"] + label["height"]
            )  # on the line of its words, not above them
            assert label["height"] < 2.2 * radio["height"] + 8


def test_a_procedures_facts_are_a_summary_box_in_body_text(page: Page, server: Server):
    page.goto(f"/procedures/{RESIDENCE}")
    facts = page.locator("main dl").first
    expect(facts).to_contain_text("1 ngày làm việc")
    assert facts.evaluate("e => getComputedStyle(e).display") == "grid"
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    sizes = facts.locator("dd").evaluate_all(
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and set(sizes) == {body}  # not the .85rem of a side note


def test_the_public_service_figures_keep_each_number_beside_its_name_on_a_phone(
    page: Page, server: Server
):
    dev_officer(page, "steering-viewer")
    page.set_viewport_size(PHONE)
    page.goto("/procedure-figures")
    total = page.get_by_test_id("fig-total")
    expect(total).to_be_visible()
    name = page.locator("[data-testid=figures] tr:has([data-testid=fig-total]) th")
    cell, heading = total.bounding_box(), name.bounding_box()
    assert cell is not None and heading is not None
    assert abs(cell["y"] - heading["y"]) < 4 and cell["x"] > heading["x"] + heading["width"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_apology_slip_takes_a_date_typed_day_first(page: Page, server: Server):
    dev_officer(page, "procedure-officer")
    page.goto("/procedure-console?status=submitted")
    listed = page.locator("main a[href^='/procedure-console/dossiers/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href').split('/').pop())"
    )
    seeded = {c for (c,) in server.query("SELECT code FROM procedure_dossier WHERE form = '{}'")}
    code = next(c for c in listed if c in seeded)  # a demo dossier: no form data
    page.goto(f"/procedure-console/dossiers/{code}")
    expect(page.get_by_test_id("form")).to_have_text("Không có")  # no empty box
    # approving, asking for more and refusing were three identical red buttons
    fills = {
        testid: page.get_by_test_id(testid).evaluate("e => getComputedStyle(e).backgroundColor")
        for testid in ("approve", "request-supplement", "reject")
    }
    assert fills == {
        "approve": "rgb(30, 107, 52)",
        "request-supplement": "rgb(255, 255, 255)",
        "reject": "rgb(255, 255, 255)",
    }
    reject_ink = page.get_by_test_id("reject").evaluate("e => getComputedStyle(e).color")
    assert reject_ink == "rgb(140, 29, 24)"
    new_date = (date.today() + timedelta(days=10)).strftime("%d/%m/%Y")
    page.locator("input[name=reason]").first.fill("Chờ xác minh")
    page.get_by_test_id("new-due-on").click()
    page.keyboard.type(new_date)
    with page.expect_response(re.compile(r"/slips/apology\?")) as slip:
        page.get_by_test_id("new-due-on").press("Enter")
    assert slip.value.status == 200
    assert slip.value.headers["content-type"] == "application/pdf"


def test_the_wallet_list_and_a_documents_page_give_the_same_valid_until(page: Page, server: Server):
    sign_in_demo_account(page, server, level=2)
    page.goto("/wallet")
    links = page.get_by_test_id("wallet-doc")
    listed = page.get_by_test_id("wallet-valid-until").all_inner_texts()
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert listed and all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", t) for t in listed), listed
    for href, until in zip(hrefs, listed, strict=True):
        page.goto(href or "")
        expect(page.get_by_test_id("doc-valid-until")).to_have_text(until)


def test_the_kiosk_tells_a_patient_what_to_type_in_a_patients_words(page: Page, server: Server):
    code = re.search(r"enrolment code (\S+)", _dancu(server, "exchange", "kiosk", HOSPITAL))
    assert code
    page.goto("/kiosk")
    page.get_by_test_id("enrol-secret").fill("not-the-code")  # the administrator mistypes
    page.get_by_test_id("enrol-submit").click()
    wrong = page.get_by_test_id("enrol-error")
    expect(wrong).to_contain_text("Mã đăng ký máy: mã này không đúng")  # not "not enrolled"
    expect(page.get_by_test_id("enrol-secret")).to_have_attribute("aria-invalid", "true")
    page.get_by_test_id("enrol-secret").fill(code.group(1))
    page.get_by_test_id("enrol-submit").click()
    shown = {}
    for typed in ("05419389329", "001100000000"):  # a digit short; a number nobody has
        page.goto("/kiosk")
        page.get_by_test_id("kiosk-scan").fill(typed)
        page.get_by_test_id("kiosk-scan").press("Enter")
        shown[typed] = page.get_by_test_id("kiosk-error").inner_text()
    assert "12 chữ số" in shown["05419389329"] and "thẻ" not in shown["05419389329"]
    assert "Không tìm thấy công dân" in shown["001100000000"]
    assert "địa bàn" not in shown["001100000000"]


def test_a_citizens_pages_have_one_sign_out_and_one_way_to_the_wallet(page: Page, server: Server):
    sign_in_demo_account(page, server, level=1)
    for path in ("/account", "/wallet", "/account/children"):
        page.goto(path)
        expect(page.get_by_role("button", name="Đăng xuất", exact=True)).to_have_count(1)
        expect(page.locator("header a[href='/wallet']")).to_have_count(1)
        expect(page.locator("main nav a[href='/wallet']")).to_have_count(0)
