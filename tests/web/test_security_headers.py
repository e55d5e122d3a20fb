"""The security headers (``web/security.py``) on representative answers, on SQLite and on
PostgreSQL (the ``client`` fixture): a public page, an officer's pages showing a citizen, the
JSON API, static files, the API docs; HSTS only with production settings.
``tests/e2e/test_websec_browser.py`` loads the pages in Chromium with the policy enforced."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient

from dancu.app import create_app
from dancu.common.access import Role
from dancu.settings import Settings
from dancu.web.security import CSP
from tests.conftest import bearer, make_actor
from tests.registry.factories import person
from tests.web.test_pages import sign_in

STRONG_SECRET = "k3Jd9-vQ2pXw7LmZt4Rb8NcYh6Ue1SfA"
EVERY_ANSWER = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def _directives(policy: str) -> dict[str, str]:
    parts = (d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


def assert_protected_page(response) -> None:  # type: ignore[no-untyped-def]
    for name, value in EVERY_ANSWER.items():
        assert response.headers[name] == value, name
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers  # not in development


def test_the_policy_allows_no_inline_script_or_style_and_no_framing():
    policy = _directives(CSP)

    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert "unsafe" not in CSP


def test_a_public_page_carries_the_headers(client):  # type: ignore[no-untyped-def]
    assert_protected_page(client.get("/login"))


def test_the_officers_pages_showing_a_citizen_are_never_stored(client, session):  # type: ignore[no-untyped-def]
    citizen = person(session, "Nguyễn Thị Ánh")
    sign_in(client)

    search = client.get("/registry/search", params={"name": "nguyen thi anh"})
    record = client.get(f"/registry/citizens/{citizen.pid}", params={"purpose": "civil_status"})

    assert (search.status_code, record.status_code) == (200, 200)
    assert_protected_page(search)
    assert_protected_page(record)


def test_the_api_answers_are_never_stored(client, session):  # type: ignore[no-untyped-def]
    citizen = person(session)
    clerk = bearer(make_actor(Role.REGISTRY_CLERK))

    answer = client.get(
        f"/api/registry/citizens/{citizen.pid}", params={"purpose": "civil_status"}, headers=clerk
    )

    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_an_error_page_carries_the_headers_too(client):  # type: ignore[no-untyped-def]
    sign_in(client)

    answer = client.get("/registry/citizens/066190009999", params={"purpose": "civil_status"})

    assert answer.status_code == 404
    assert_protected_page(answer)


def test_a_route_keeps_the_caching_it_chose(client):  # type: ignore[no-untyped-def]
    answer = client.get("/oidc/jwks")

    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "max-age=300"
    assert answer.headers["content-security-policy"] == CSP


def test_static_files_may_be_cached_but_not_sniffed(client):  # type: ignore[no-untyped-def]
    answer = client.get("/static/passkeys.js")

    assert answer.status_code == 200
    assert "cache-control" not in answer.headers
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_docs_allow_only_their_own_initializer_by_hash():
    answer = TestClient(create_app()).get("/docs")

    policy = _directives(answer.headers["content-security-policy"])
    [inline] = re.findall(r"<script>(.*?)</script>", answer.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert policy["script-src"] == f"'self' 'sha256-{digest}'"
    assert policy["frame-ancestors"] == "'none'"
    assert answer.headers["x-content-type-options"] == "nosniff"


def _production_app():  # type: ignore[no-untyped-def]
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="production",
        secret_key=STRONG_SECRET,
        dev_login=False,
        public_url="https://dichvucong.example.gov.vn",
        jobs_url="redis://127.0.0.1:6379/0",
    )
    return create_app(settings)


@pytest.mark.parametrize("path", ["/login", "/docs", "/static/app.css"])
def test_hsts_in_production_only(path: str):
    production = TestClient(_production_app(), base_url="https://testserver").get(path)
    development = TestClient(create_app()).get(path)

    assert production.status_code == 200
    assert production.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in development.headers
