"""The cleaning queue as a work tool, in real Chromium (issue 10, "The cleaning queue"):
compact items with the correction form on demand, communes by name and dates dd/mm/yyyy,
the proposed citizen's name linking to the record, three buttons that look different,
filters by dataset and commune, and a bulk accept with a confirmation, CSRF-protected."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

LAND = "Sổ địa chính (demo)"  # the demo's land register (dancu.demo.sector)
ITEM_HEIGHT = 200  # px an item may take at 1280 px wide (the full forms took ~470)


def open_queue(page: Page) -> None:
    page.goto("/dev/login")
    page.get_by_test_id("officer-province-clerk").click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/linkage/queue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Danh sách cần làm sạch")


def colour(page: Page, testid: str) -> tuple[str, str]:
    button = page.get_by_test_id(testid).first
    background, border = button.evaluate(
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderColor]"
    )
    return background, border


def test_the_queue_is_compact_and_reads_like_a_work_list(page: Page, server: Server):
    open_queue(page)
    items = page.get_by_test_id("item")
    count = items.count()
    assert count >= 10
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 600 + ITEM_HEIGHT * count, (height, count)
    expect(page.get_by_test_id("correct-form").first).to_be_hidden()  # opens on demand
    page.get_by_test_id("open-correct").first.click()
    expect(page.get_by_test_id("correct-form").first).to_be_visible()

    text = page.locator("ol.queue").inner_text()
    assert re.search(r"\b\d{4}-\d\d-\d\d\b", text) is None  # no ISO date
    assert re.search(r"(?<!\d)\d{5}(?!\d)", text) is None  # no commune code
    for born in page.get_by_test_id("birth-date").all():
        assert re.fullmatch(r"\d\d/\d\d/\d{4}|\d{4}|—", born.inner_text())  # or a year

    # the safe, the secondary and the destructive action do not look alike
    accept, correct, aside = (
        colour(page, t) for t in ("accept", "open-correct", "not-in-province")
    )
    assert len({accept, correct, aside}) == 3
    assert accept[0] != "rgb(179, 38, 30)"  # accepting is not painted as a danger

    # the proposed citizen by name, opening the registry record
    named = page.get_by_test_id("proposed-name").first
    name = named.inner_text()
    assert name and not name.isdigit()
    named.click()
    expect(page).to_have_url(re.compile(r"/registry/citizens/\d{12}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def test_filters_by_dataset_and_commune(page: Page, server: Server):
    open_queue(page)
    page.get_by_test_id("filter-source").select_option(label=LAND)
    page.get_by_test_id("filter").click()
    expect(page).to_have_url(re.compile(r"source_id=\d+"))
    for meta in page.locator("[data-testid=item] h2 .meta").all():
        assert LAND in meta.inner_text()
    option = page.get_by_test_id("filter-commune").locator("option").nth(1)
    commune = re.sub(r" \(\d+\)$", "", option.inner_text())
    page.get_by_test_id("filter-commune").select_option(option.get_attribute("value") or "")
    page.get_by_test_id("filter").click()
    expect(page).to_have_url(re.compile(r"commune=\d{5}"))
    communes = {c.inner_text() for c in page.get_by_test_id("commune").all()}
    assert communes == {commune}


def test_bulk_accept_asks_to_confirm_then_decides_each_in_one_go(page: Page, server: Server):
    [(land_id,)] = server.query("SELECT id FROM linkage_source WHERE name = ?", LAND)
    decisions = "SELECT count(*) FROM linkage_decision WHERE action = 'accept'"
    audited = "SELECT count(*) FROM audit_log WHERE action = 'linkage.accept'"
    [(decided_before,)], [(audited_before,)] = server.query(decisions), server.query(audited)
    open_queue(page)
    page.goto(f"/linkage/queue?source_id={land_id}")
    total = int(page.get_by_test_id("total").get_attribute("data-total") or "0")
    picks = page.get_by_test_id("pick")
    chosen = [picks.nth(i).get_attribute("value") for i in (0, 1)]
    picks.nth(0).check()
    picks.nth(1).check()
    page.get_by_test_id("accept-selected").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Xác nhận khớp cho các bản ghi đã chọn?"
    )
    rows = page.get_by_test_id("selected").locator("tbody tr")
    expect(rows).to_have_count(2)
    assert sorted(r.get_attribute("data-result") for r in rows.all()) == sorted(chosen)
    page.get_by_test_id("confirm-accept").click()
    expect(page.get_by_test_id("done")).to_have_text("Đã xác nhận khớp 2 bản ghi.")
    expect(page.get_by_test_id("total")).to_have_attribute("data-total", str(total - 2))
    assert server.query(decisions) == [(decided_before + 2,)]
    assert server.query(audited) == [(audited_before + 2,)]  # one entry per record

    # a form without this session's token is refused, and nothing is decided
    [(left,)] = server.query(
        """SELECT id FROM linkage_result WHERE source_id = ? AND decided = 0
              AND outcome IN ('probable_match', 'synced_with_differences') LIMIT 1""",
        land_id,
    )
    forged = page.request.post(
        "/linkage/queue/accept-selected",
        form={"result_id": str(left), "confirmed": "true"},
        max_redirects=0,
    )
    assert forged.status == 403
    assert server.query(decisions) == [(decided_before + 2,)]
