"""A person who switched to English reads the procedure catalogue in English, in Chromium at
desktop and phone widths: a procedure's page and its application form show the English
name, components and form labels, none of the catalogue's Vietnamese, and fit a 390 px
screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from dancu.procedures import catalogue
from dancu.procedures.catalogue import Procedure
from tests.e2e.conftest import Server
from tests.e2e.test_procedures_browser import _citizen, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
MARITAL = "1.004873"  # certificate of marital status: shared applicant fields, a fee note
PHONE = 390


def vietnamese_texts(p: Procedure) -> list[str]:
    """The catalogue's Vietnamese for ``p``: what an English page must not show."""
    cat = catalogue.catalogue()
    texts = [p.name, p.fee.note, cat.sectors[p.sector].name]
    texts += [cat.exemptions[e].name for e in p.fee.exemptions]
    texts += [c.name for c in p.components] + [f.label for f in p.fields]
    return [t for t in texts if t]


def shown_vietnamese(tab: Page, p: Procedure) -> list[str]:
    body = tab.locator("main").inner_text()
    return [t for t in vietnamese_texts(p) if t in body]


def _check_procedure_page(tab: Page) -> None:
    p = catalogue.get(MARITAL)
    tab.goto(f"/procedures/{MARITAL}?lang=en")
    expect(tab.get_by_test_id("procedure-name")).to_have_text("Certificate of marital status")
    expect(tab.get_by_test_id("procedure-components")).to_contain_text(
        "Identity card or citizen identity card"
    )
    expect(tab.get_by_test_id("procedure-fee")).to_contain_text("provincial People's Council")
    assert shown_vietnamese(tab, p) == []


def test_a_procedure_and_its_form_read_in_english_on_a_desktop(page: Page, server: Server) -> None:
    p = catalogue.get(MARITAL)
    pid, phone, _ = _citizen(server, 1)
    sign_in(page, pid, phone, f"/procedures/{MARITAL}")  # signed in in Vietnamese
    expect(page.get_by_test_id("procedure-name")).to_have_text(p.name)
    _check_procedure_page(page)  # then switches to English
    page.get_by_test_id("apply-link").click()  # English stays (the language cookie)
    expect(page).to_have_url(f"{server.url}/procedures/{MARITAL}/apply")
    form = page.get_by_test_id("apply-form")
    expect(form).to_contain_text("Applicant's full name")
    expect(form).to_contain_text("Purpose of use")
    expect(page.get_by_test_id("reused")).to_contain_text("Proof of place of residence")
    expect(page.get_by_role("link", name="Certificate of marital status")).to_be_visible()
    assert shown_vietnamese(page, p) == []


def test_the_catalogue_and_a_procedure_read_in_english_on_a_phone(phone: Page) -> None:
    phone.goto("/procedures?lang=en&q=residence")
    links = phone.get_by_test_id("procedure-link")
    expect(links.first).to_be_visible()
    names = links.all_inner_texts()
    assert "Permanent residence registration" in names
    assert "Đăng ký thường trú" not in names
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE
    _check_procedure_page(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE
