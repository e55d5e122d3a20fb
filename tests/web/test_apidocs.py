"""The API documentation page over HTTP: ``/docs`` names only files this server serves, each of
them answers, and the CDN-only ReDoc page is gone. (``tests/e2e/test_docs_offline.py``
renders the page in Chromium with the internet cut off.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from swagger_ui_bundle import swagger_ui_path

from dancu.app import create_app

OUTSIDE = re.compile(r"(?:https?:)?//", re.IGNORECASE)  # absolute or protocol-relative URL
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


class _Loads(HTMLParser):
    """What a page loads by itself: scripts, stylesheets and icons, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (tag, URL)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        url = a.get("href") if tag == "link" else a.get("src")
        if url is not None and tag in {"script", "link", "img", "iframe"}:
            self.urls.append((tag, url))


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())  # the docs never touch the database


def _loads(html: str) -> list[tuple[str, str]]:
    parser = _Loads()
    parser.feed(html)
    return parser.urls


def test_docs_load_only_files_of_this_server(client: TestClient):
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    loads = _loads(response.text)
    assert sorted(tag for tag, _ in loads) == ["link", "link", "script"]  # css, icon, js
    assert [url for _, url in loads if OUTSIDE.match(url)] == []
    assert OUTSIDE.search(response.text) is None  # nor in the inline script's settings


def test_every_file_the_docs_name_answers_from_the_installed_package(client: TestClient):
    loads = [url for _, url in _loads(client.get("/docs").text)]

    for url in loads:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(CONTENT_TYPES[Path(url).suffix]), url
        assert response.content == (Path(swagger_ui_path) / Path(url).name).read_bytes(), url


def test_the_oauth2_redirect_page_swagger_ui_is_given_answers(client: TestClient):
    page = client.get("/docs").text
    [redirect] = re.findall(r"oauth2RedirectUrl: window\.location\.origin \+ '([^']+)'", page)

    response = client.get(redirect)

    assert response.status_code == 200
    assert OUTSIDE.search(response.text) is None


def test_the_openapi_document_the_docs_read_is_served(client: TestClient):
    response = client.get("/openapi.json")

    assert response.status_code == 200
    assert "get" in response.json()["paths"]["/api/registry/citizens"]


def test_redoc_which_only_a_cdn_would_serve_is_off(client: TestClient):
    assert client.get("/redoc").status_code == 404


def test_every_operation_has_its_own_id():
    spec = create_app().openapi()
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)) and "userinfo_oidc_userinfo_post" in ids
