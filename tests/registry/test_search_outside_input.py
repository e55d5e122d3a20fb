"""Registry search with what other keyboards and tools type: NFD (a Mac), the look-alike eth
(U+00D0, legacy conversions), non-breaking spaces and capitals all find the same person.
Worked before session 7; pinned here because the fuzzing brief named it."""

from __future__ import annotations

import unicodedata

import pytest
from fastapi.testclient import TestClient

from dancu.common.access import Role
from tests.conftest import bearer, make_actor
from tests.registry.factories import person

NAME = "Đặng Thị Ngọc Ánh"


@pytest.mark.parametrize(
    "typed",
    [
        NAME,
        unicodedata.normalize("NFD", NAME),
        NAME.replace("Đ", "\u00d0"),
        NAME.replace(" ", "\u00a0").upper(),
        "dang thi ngoc anh",
    ],
    ids=["nfc", "nfd", "eth", "nbsp-caps", "folded"],
)
def test_search_finds_the_person_however_the_name_is_typed(
    client: TestClient,
    session,
    typed: str,  # type: ignore[no-untyped-def]
) -> None:
    found = person(session, NAME)
    answer = client.get(
        "/api/registry/citizens",
        params={"name": typed, "purpose": "verification"},
        headers=bearer(make_actor(Role.REGISTRY_CLERK)),
    )
    assert answer.status_code == 200, answer.text
    assert [c["pid"] for c in answer.json()["items"]] == [found.pid]
