"""The cleaning queue in real Chromium: a provincial clerk opens a synchronized demo dataset,
accepts a proposed match, corrects a field to the registry's value, sets a record aside as
not a citizen of the province, and sees the queue and the dataset's counts change; in
Vietnamese, then in English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_browser import sign_in_as_provincial_clerk

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

DATASET = "Danh sách BHXH (demo)"  # the demo's social-insurance list (dancu.demo.sector)
LABELS = {
    "probable_match": "Có thể khớp, cần xem xét",
    "synced_with_differences": "Đồng bộ, có trường khác",
}
OUTCOMES = (
    "synced",
    "synced_with_differences",
    "probable_match",
    "not_found",
    "duplicate_in_source",
    "not_in_province",
)


def dataset_counts(tab: Page) -> dict[str, int]:
    """The dataset row of the rates table: records per outcome."""
    row = tab.get_by_test_id("rates").locator('tr[data-level="dataset"]')
    return {o: int(row.locator(f'td[data-outcome="{o}"]').inner_text()) for o in OUTCOMES}


def queue_total(tab: Page) -> int:
    return int(tab.get_by_test_id("total").get_attribute("data-total") or "-1")


def decided(tab: Page, total: int) -> None:
    """After a decision: back on the queue with the notice, one item fewer."""
    expect(tab).to_have_url(re.compile(r"/linkage/queue\?done="))
    expect(tab.get_by_test_id("done")).to_have_text("Đã lưu quyết định.")
    expect(tab.get_by_test_id("total")).to_have_attribute("data-total", str(total))
    expect(tab.get_by_test_id("total")).to_have_text(f"{total} bản ghi cần xem xét")


def item(tab: Page, line: str) -> Locator:
    return tab.locator(f'[data-testid="item"][data-line="{line}"]')


def test_an_officer_cleans_the_queue_of_a_synced_dataset(page: Page, server: Server):
    [(source_id,)] = server.query("SELECT id FROM linkage_source WHERE name = ?", DATASET)
    sign_in_as_provincial_clerk(page)
    page.get_by_test_id("nav-linkage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dữ liệu chuyên ngành")
    page.get_by_role("link", name=DATASET).first.click()
    expect(page).to_have_url(re.compile(rf"/linkage/sources/{source_id}$"))
    expect(page.get_by_test_id("source-name")).to_have_text(DATASET)
    expect(page.get_by_test_id("job")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("job")).to_contain_text("Hoàn thành")
    before = dataset_counts(page)
    assert before["synced_with_differences"] >= 3 and before["not_in_province"] == 0

    page.get_by_test_id("queue-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Danh sách cần làm sạch")
    total = queue_total(page)
    assert total == before["probable_match"] + before["synced_with_differences"]
    expect(page.get_by_test_id("total")).to_have_text(f"{total} bản ghi cần xem xét")
    first = page.get_by_test_id("item").first
    accepted = first.get_attribute("data-outcome") or ""
    expect(first.locator("h2 .meta")).to_contain_text(LABELS[accepted])
    expect(first.get_by_test_id("accept")).to_have_text("Xác nhận khớp")
    expect(first.get_by_test_id("not-in-province")).to_have_text("Không phải công dân của tỉnh")
    expect(first.get_by_test_id("correct")).to_have_text("Sửa trường")
    expect(first.locator("dt").first).to_have_text("Xã/phường")

    # 1. Accept the proposed citizen: the registry's values replace the differing ones.
    line = first.get_attribute("data-line") or ""
    assert re.fullmatch(r"\d{12}", first.get_by_test_id("proposed").inner_text())
    first.get_by_test_id("accept").click()
    decided(page, total - 1)
    expect(item(page, line)).to_have_count(0)

    # 2. Correct the one differing field of a record to the registry's value.
    differing = (
        page.locator('[data-testid="item"][data-outcome="synced_with_differences"]')
        .filter(has=page.locator('[data-testid="differences"] tbody tr:only-child'))
        .first
    )
    line = differing.get_attribute("data-line") or ""
    difference = differing.locator('[data-testid="differences"] tbody tr')
    field = difference.get_attribute("data-field") or ""
    registry_value = difference.locator("td").nth(2).get_attribute("data-value") or ""
    assert field and registry_value not in ("", "—")
    differing.get_by_test_id("open-correct").click()  # the form opens on demand
    differing.locator('select[name="field"]').select_option(field)
    differing.get_by_test_id("value").fill(registry_value)
    differing.locator('input[name="note"]').fill("Đối chiếu với cơ sở dữ liệu dân cư")
    differing.get_by_test_id("correct").click()
    decided(page, total - 2)  # no difference left: the record counts as synced
    expect(item(page, line)).to_have_count(0)

    # 3. Set one aside: not a citizen of the province.
    other = page.get_by_test_id("item").first
    line, outcome = other.get_attribute("data-line"), other.get_attribute("data-outcome")
    other.get_by_test_id("not-in-province").click()
    decided(page, total - 3)
    expect(item(page, line or "")).to_have_count(0)

    # The dataset's counts moved with the three decisions.
    page.get_by_role("link", name="← Dữ liệu chuyên ngành").click()  # back to the dataset
    expect(page).to_have_url(re.compile(rf"/linkage/sources/{source_id}$"))
    after = dataset_counts(page)
    expected = dict(before)
    expected[accepted] -= 1
    expected["synced_with_differences"] -= 1
    expected[outcome or ""] -= 1
    expected["synced"] += 2
    expected["not_in_province"] += 1
    assert after == expected
    assert sum(after.values()) == sum(before.values())

    # The same queue in English.
    page.get_by_test_id("queue-link").click()
    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cleaning queue")
    expect(page.get_by_test_id("total")).to_have_text(f"{total - 3} records to review")
    english = page.get_by_test_id("item").first
    expect(english.get_by_test_id("accept")).to_have_text("Accept the match")
    expect(english.get_by_test_id("not-in-province")).to_have_text("Not a citizen of the province")
    expect(english.get_by_test_id("correct")).to_have_text("Correct the field")
