"""Every route answers a text it cannot take (a NUL byte, 20,000 characters) with a 4xx.

PostgreSQL refuses a NUL in a text value, so a NUL in a path, a query or a form field that
reached a query answered 500 (``DataError``); text inputs are bounded types
(``common/bounds.py``) that refuse control characters and overlong values. The routes are
read from the app (``route_inputs.py``). Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dancu.app import create_app
from tests.web.route_inputs import Case, csrf, inputs, is_str, send

CASES = [c for c in inputs(create_app(), is_str) if c.where != "json"]
BAD_TEXTS = ("\x00", "x\x00y", "a" * 20_000)


def test_the_walk_finds_the_text_inputs_of_every_domain() -> None:
    found = {str(c) for c in CASES}
    assert {
        "GET /api/registry/citizens query:name",
        "GET /registry/citizens/{pid} path:pid",
        "GET /api/wallet/status/{list_id} path:list_id",
        "POST /oidc/logout/confirm form:client_id",
        "POST /login form:pid",
    } <= found


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_bad_text_is_never_a_server_error(client: TestClient, case: Case) -> None:
    token = csrf(client)
    for value in BAD_TEXTS:
        response = send(client, case, value, token)
        assert response.status_code < 500, (value[:10], response.text[:300])
