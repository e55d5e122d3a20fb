"""Every route answers a number it cannot take with 422 naming the field, never a 500.

A fuzzer found ids of 2**63 and pages whose offset passes 2**63 answering 500
(``OverflowError`` in the database driver). The routes and their integer inputs (path,
query, form fields and the fields of JSON bodies) are read from the app itself
(``route_inputs.py``), so a route added tomorrow is walked too. Every test runs on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dancu.app import create_app
from tests.conftest import bearer
from tests.web.route_inputs import EVERYONE, Case, csrf, inputs, is_int, send

OVERFLOW = 2**63
MAX_ID = OVERFLOW - 1  # the largest BIGINT
HUGE_PAGE = 300_000_000_000_000_000  # below 2**63, but its offset is not
CASES = inputs(create_app(), is_int)


def bad_values(case: Case) -> tuple[int, ...]:
    return (OVERFLOW, -1, 0, HUGE_PAGE) if case.name == "page" else (OVERFLOW, -1, 0)


def test_the_walk_finds_the_integer_inputs_of_every_domain() -> None:
    found = {str(c) for c in CASES}
    assert {
        "GET /api/linkage/jobs/{job_id} path:job_id",
        "GET /api/linkage/queue query:page",
        "GET /api/registry/citizens query:page",
        "POST /api/registry/cards/{card_id}/{action} path:card_id",
        "GET /registry/search query:page",
        "GET /linkage/queue query:source_id",
        "POST /linkage/queue/{result_id}/accept form:page",
        "POST /account/passkeys/{passkey_id}/remove path:passkey_id",
    } <= found


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_number_out_of_range_is_422_naming_the_field(client: TestClient, case: Case) -> None:
    token = csrf(client)
    for value in bad_values(case):
        response = send(client, case, value, token)
        assert response.status_code == 422, (value, response.status_code, response.text[:300])
        if case.api:
            answer = response.json()
            assert answer["code"] == "request.invalid"
            named = {(e["field"], e["code"]) for e in answer["errors"]}
            assert (case.name, "number.out_of_range") in named, (value, answer)
        else:
            assert response.headers["content-type"].startswith("text/html")
            assert 'data-testid="error"' in response.text


@pytest.mark.parametrize("case", [c for c in CASES if c.where == "path"], ids=str)
def test_the_largest_id_is_looked_up_not_refused(client: TestClient, case: Case) -> None:
    """2**63 - 1 still fits a BIGINT: it answers like any unknown id, and never 500."""
    response = send(client, case, MAX_ID, csrf(client))
    assert response.status_code < 500, response.text[:300]
    if response.status_code == 422 and case.api:  # another input is missing
        assert case.name not in {e["field"] for e in response.json()["errors"]}


def test_a_page_out_of_range_speaks_vietnamese(client: TestClient) -> None:
    response = client.get(f"/linkage/queue?page={HUGE_PAGE}", headers=bearer(EVERYONE))
    assert response.status_code == 422
    assert 'data-code="number.out_of_range"' in response.text
    assert "Số nằm ngoài khoảng cho phép" in response.text
