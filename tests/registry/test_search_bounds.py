"""The citizen search refuses what a fuzzer sent it: a 50,000-character name (SQLite's
``LIKE`` pattern limit made it a 500), a NUL byte (it folded to a pattern that matched every
citizen of the area, past the empty-search rule) and a page whose offset passes 2**63.
Through the service, the JSON API and the search page, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import ValidationFailed
from dancu.registry import service
from tests.conftest import bearer, make_actor
from tests.registry.factories import person

CLERK = make_actor(Role.REGISTRY_CLERK, Role.POLICE)
PURPOSE = "administrative_procedure"
LONG_NAME = "an" * 25_000  # 50,000 characters, past SQLite's LIKE pattern limit
HUGE_PAGE = 300_000_000_000_000_000


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    return [person(session, "Nguyễn Văn An"), person(session, "Trần Thị Bình", sex="F")]


def listed(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(AuditEntry))


@pytest.mark.parametrize(
    ("filters", "code", "field"),
    [
        ({"name": "\x00"}, "search.empty", "name"),
        ({"name": " \x00\x01\x7f "}, "search.empty", "name"),
        ({"name": LONG_NAME}, "text.too_long", "name"),
        ({"name": "an", "page": HUGE_PAGE}, "paging.invalid", "page"),
        ({"name": "an", "page": 2**63}, "paging.invalid", "page"),
    ],
)
def test_the_service_refuses_what_cannot_be_a_search(session, people, filters, code, field):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as caught:
        service.search(session, actor=CLERK, purpose=PURPOSE, **filters)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert listed(session) == 0


def test_a_control_character_inside_a_name_separates_words(session, people):  # type: ignore[no-untyped-def]
    found = service.search(session, actor=CLERK, purpose=PURPOSE, name="Nguy\x00n Văn An")
    assert found.items == []  # "nguy n van an": no one, rather than everyone
    found = service.search(session, actor=CLERK, purpose=PURPOSE, name="An\x00")
    assert [c.full_name for c in found.items] == ["Nguyễn Văn An"]


@pytest.mark.parametrize(
    ("name", "code"),
    [(LONG_NAME, "text.too_long"), ("\x00", "text.control_character")],
)
def test_the_api_answers_422_naming_the_field(client, session, people, name, code):  # type: ignore[no-untyped-def]
    response = client.get(
        "/api/registry/citizens", params={"name": name, "purpose": PURPOSE}, headers=bearer(CLERK)
    )
    assert response.status_code == 422, response.text[:300]
    answer = response.json()
    assert (answer["code"], answer["field"]) == ("request.invalid", "name")
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [("name", code)]
    assert listed(session) == 0


@pytest.mark.parametrize(
    ("name", "code", "vietnamese"),
    [
        (LONG_NAME, "text.too_long", "Nội dung dài quá mức cho phép"),
        ("\x00", "text.control_character", "ký tự điều khiển"),
    ],
)
def test_the_search_page_answers_in_vietnamese(client, session, people, name, code, vietnamese):  # type: ignore[no-untyped-def]
    response = client.get("/registry/search", params={"name": name}, headers=bearer(CLERK))
    assert response.status_code == 422, response.text[:300]
    assert f'data-code="{code}"' in response.text
    assert vietnamese in response.text
    assert "Nguyễn Văn An" not in response.text and "Trần Thị Bình" not in response.text
    assert listed(session) == 0


def test_the_search_page_refuses_a_huge_page_in_vietnamese(client, people):  # type: ignore[no-untyped-def]
    response = client.get(
        "/registry/search", params={"name": "an", "page": HUGE_PAGE}, headers=bearer(CLERK)
    )
    assert response.status_code == 422
    assert 'data-code="number.out_of_range"' in response.text
    assert "Số nằm ngoài khoảng cho phép" in response.text
