"""Rates per commune as a chart, in real Chromium (issue 10, "Charts"): the dataset report's
table sorts (header buttons, with the keyboard) and filters (a name typed without
diacritics, the communes below the province), and the bar chart, drawn by the Chart.js
the site serves itself under its strict content-security policy, always shows exactly the
rows the table shows, in the table's order. axe finds nothing serious on the page."""

from __future__ import annotations

import re
import unicodedata

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_pages_accessibility import check
from tests.e2e.test_pages_readable import dev_officer

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CHART_LABELS = "(c) => Chart.getChart(c).data.labels"
CHART_VALUES = "(c) => Chart.getChart(c).data.datasets[0].data"


def fold(text: str) -> str:
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()


def shown_rows(page: Page) -> list[tuple[str, float]]:
    """(commune, rate) of the table's visible commune rows, top to bottom."""
    rows = page.locator("[data-testid=rates] tbody tr[data-level=commune]:visible")
    return [
        (
            r.locator("td").first.inner_text().strip(),
            float(r.get_by_test_id("rate").get_attribute("data-value") or "nan"),
        )
        for r in rows.all()
    ]


def charted(page: Page) -> list[tuple[str, float]]:
    canvas = page.get_by_test_id("rates-chart")
    return list(zip(canvas.evaluate(CHART_LABELS), canvas.evaluate(CHART_VALUES), strict=True))


def open_report(page: Page, server: Server) -> list[str]:
    """The province clerk follows the links to the first dataset's report; returns the
    browser console's errors (a script the policy refused would be one)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    dev_officer(page, "province-clerk")
    page.get_by_test_id("nav-linkage").click()
    [(name,)] = server.query("SELECT name FROM linkage_source ORDER BY id LIMIT 1")
    page.get_by_role("link", name=name).first.click()
    expect(page.get_by_test_id("source-name")).to_have_text(name)
    return errors


def test_the_chart_shows_the_rows_the_table_shows_in_its_order(page: Page, server: Server):
    errors = open_report(page, server)
    expect(page.get_by_test_id("rates-chart")).to_be_visible()
    everything = shown_rows(page)
    assert len(everything) >= 20
    assert charted(page) == everything
    expect(page.get_by_test_id("rates-shown")).to_contain_text(str(len(everything)))

    # sorted by the rate, lowest first, from the header's button and the keyboard
    page.locator("th[data-chart] button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("th[data-chart]")).to_have_attribute("aria-sort", "ascending")
    ascending = shown_rows(page)
    assert [r for _, r in ascending] == sorted(r for _, r in everything)
    assert charted(page) == ascending
    page.keyboard.press("Enter")
    expect(page.locator("th[data-chart]")).to_have_attribute("aria-sort", "descending")
    assert [r for _, r in shown_rows(page)] == sorted((r for _, r in everything), reverse=True)
    # the whole province's row stays on top whatever the order
    first = page.locator("[data-testid=rates] tbody tr").first
    expect(first).to_have_attribute("data-pinned", "")

    # a name typed without diacritics finds the communes written with them
    page.get_by_test_id("rates-filter").fill("xuan")
    found = shown_rows(page)
    assert found and len(found) < len(everything)
    assert all("xuan" in fold(n) for n, _ in found)
    assert any(n != fold(n) for n, _ in found)  # "Xuân" matched "xuan"
    assert charted(page) == found
    expect(page.get_by_test_id("rates-shown")).to_contain_text(f"{len(found)} ")

    # the communes below the whole province, and only those, in the chart too
    page.get_by_test_id("rates-filter").fill("")
    page.get_by_test_id("rates-below").check()
    overall = float(first.get_by_test_id("rate").get_attribute("data-value") or "nan")
    below = shown_rows(page)
    assert below == [(n, r) for n, r in shown_rows_all(page, everything) if r < overall]
    assert charted(page) == below
    assert errors == []


def shown_rows_all(page: Page, everything: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """``everything`` in the table's current order (the order of all its commune rows)."""
    names = [
        t.strip()
        for t in page.locator(
            "[data-testid=rates] tbody tr[data-level=commune] td:first-child"
        ).all_inner_texts()
    ]
    rate = dict(everything)
    return [(n, rate[n]) for n in names]


def test_the_chart_is_served_here_and_the_page_stays_accessible(page: Page, server: Server):
    loaded: list[str] = []
    page.on("response", lambda r: loaded.append(r.url))
    errors = open_report(page, server)
    expect(page.get_by_test_id("rates-chart")).to_be_visible()
    assert any(re.search(r"/static/vendor/chartjs/chart\.umd\.min\.js$", u) for u in loaded)
    assert check(page) == []
    assert errors == []


def test_without_javascript_the_table_is_all_there_is(browser, server: Server):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    page = context.new_page()
    dev_officer(page, "province-clerk")  # a form: no script needed
    [(source_id,)] = server.query("SELECT id FROM linkage_source ORDER BY id LIMIT 1")
    page.goto(f"/linkage/sources/{source_id}")
    expect(page.get_by_test_id("rates")).to_be_visible()
    expect(page.get_by_test_id("rates-chart")).to_be_hidden()
    expect(page.get_by_test_id("rates-filter")).to_be_hidden()
    context.close()
