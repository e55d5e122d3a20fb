"""The API documentation in real Chromium with the internet cut off, as in a provincial data
centre: ``/docs`` must render the operations from files this server serves, and must not even
try to reach another host (the ``page`` fixture aborts and records every such request)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

SEARCH_PATH = "/api/registry/citizens"
GET_BLUE = "rgb(97, 175, 254)"  # Swagger UI's colour for GET operations: its stylesheet is on


def test_docs_render_the_operations_without_internet(page: Page, offsite_requests: list[str]):
    page.goto("/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("dancu")
    search = page.locator(".opblock.opblock-get").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{SEARCH_PATH}"]')
    )
    expect(search).to_have_count(1)
    expect(search).to_have_css("border-top-color", GET_BLUE)

    search.locator(".opblock-summary").click()  # expand: Swagger UI's script does the work
    parameters = search.locator(".parameters .parameter__name")
    expect(parameters.filter(has_text="birth_date")).to_have_count(1)
    expect(parameters.filter(has_text="commune_code")).to_have_count(1)

    page.wait_for_load_state("networkidle")
    assert offsite_requests == []
