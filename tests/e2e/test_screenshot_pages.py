"""The pages ``make screenshots`` photographs (``tools/screenshots.py``) still open: each
role signs in through the real pages as the script does, and each of its pages answers
without an error page, so a page that moves breaks this test rather than the images."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, Response, expect

from tests.e2e.conftest import Server
from tools import screenshots

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_the_shots_are_named_once_and_each_role_is_known():
    names = [s.name for s in screenshots.SHOTS]
    assert len(names) == len(set(names))
    assert {s.role for s in screenshots.SHOTS} == set(screenshots.ROLES)
    for needed in ("home-citizen", "linkage-queue", "wallet-document", "verify", "kiosk"):
        assert needed in names


@pytest.mark.parametrize("role", sorted(screenshots.ROLES))
def test_each_page_of_the_role_opens(page: Page, server: Server, role: str):
    demo = screenshots.Demo(url=server.url, db_path=server.db_path, env=_env(server))
    failed: list[str] = []

    def seen(answer: Response) -> None:
        if answer.status >= 400 and answer.request.resource_type == "document":
            failed.append(f"{answer.status} {answer.url}")

    screenshots.ROLES[role](page, demo)  # (a kiosk not yet enrolled answers 401 first)
    page.on("response", seen)
    for shot in (s for s in screenshots.SHOTS if s.role == role):
        shown = shot.open(page, demo) or page
        expect(shown.get_by_role("heading", level=1).first).to_be_visible()
        expect(shown.get_by_test_id("error")).to_have_count(0)
        if shown is not page:
            shown.context.close()
    assert failed == []


def _env(server: Server) -> dict[str, str]:
    return {**os.environ, "DANCU_DATABASE_URL": f"sqlite:///{server.db_path}"}
