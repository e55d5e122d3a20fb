"""The home page at ``/`` per role, the header's links (none that answers 403), the error
pages (HTML in the reader's language with a way home, JSON with a code for the API) and the
favicon."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.identity.helpers import active_account, citizen
from tests.identity.page_helpers import sign_in as citizen_sign_in
from tests.web.test_pages import sign_in

TESTIDS = re.compile(r'<a href="([^"]+)" data-testid="(t-[^"]+|nav-[^"]+|my-account)"')


def links(html: str, prefix: str) -> dict[str, str]:
    """testid -> href of the links whose testid starts with ``prefix``."""
    return {testid: href for href, testid in TESTIDS.findall(html) if testid.startswith(prefix)}


def test_signed_out_the_home_page_offers_sign_in_registration_and_the_services(client, session):
    response = client.get("/", follow_redirects=False)

    assert response.status_code == 200
    assert links(response.text, "t-") == {
        "t-login": "/login",
        "t-register": "/register",
        "t-verify": "/verify",
        "t-portal": "/demo-rp",
        "t-procedures": "/procedures",
    }
    assert "Đăng ký tài khoản định danh điện tử" in response.text
    assert links(response.text, "nav-") == {}


# demo officer -> (the tasks on the home page, whether it shows the area's statistics)
OFFICERS = {
    "province-clerk": (
        [
            "nav-search",
            "nav-linkage",
            "nav-queue",
            "nav-exchange",
            "nav-exchange-area",
            "nav-events",
        ],
        True,
    ),
    "province-police": (
        [
            "nav-search",
            "nav-desk",
            "nav-linkage",
            "nav-queue",
            "nav-procedure-console",
            "nav-exchange",
            "nav-exchange-area",
            "nav-events",
        ],
        True,
    ),
    "commune-clerk": (
        [
            "nav-search",
            "nav-linkage",
            "nav-queue",
            "nav-exchange",
            "nav-exchange-area",
            "nav-events",
        ],
        True,
    ),
    "steering-viewer": (["nav-linkage", "nav-procedure-figures", "nav-exchange"], True),
    "procedure-officer": (["nav-search", "nav-procedure-console", "nav-procedure-figures"], False),
    "commune-leader": (
        [
            "nav-search",
            "nav-linkage",
            "nav-procedure-console",
            "nav-procedure-figures",
            "nav-exchange",
        ],
        True,
    ),
}


@pytest.mark.parametrize("officer", sorted(OFFICERS))
def test_each_demo_officer_lands_home_and_every_link_it_is_shown_opens(client, session, officer):
    sign_in(client, officer)  # the dev sign-in now sends everyone home
    home = client.get("/")
    tasks, statistics = OFFICERS[officer]

    assert home.status_code == 200
    assert list(links(home.text, "t-nav-")) == [f"t-{t}" for t in tasks]
    assert list(links(home.text, "nav-")) == tasks  # the header offers the same pages
    assert ('data-testid="figures"' in home.text) is statistics
    for href in {**links(home.text, "nav-"), **links(home.text, "t-")}.values():
        assert (href, client.get(href).status_code) == (href, 200)


def test_a_steering_viewer_is_not_shown_the_search_it_may_not_use(client, session):
    sign_in(client, "steering-viewer")

    home = client.get("/").text

    assert "/registry/search" not in home and "/desk/level2" not in home
    assert client.get("/registry/search").status_code == 403  # what a link would have answered


def test_a_citizen_sees_the_account_documents_and_services(client, session):
    account = active_account(session, citizen(session))
    session.commit()
    citizen_sign_in(client, account, next="/")

    home = client.get("/")

    assert links(home.text, "t-") == {
        "t-account": "/account",
        "t-wallet": "/wallet",
        "t-dossiers": "/my-dossiers",
        "t-procedures": "/procedures",
        "t-portal": "/demo-rp",
        "t-verify": "/verify",
    }
    assert links(home.text, "my-account") == {"my-account": "/account"}
    assert 'data-testid="sign-in"' not in home.text
    for href in links(home.text, "t-").values():
        assert (href, client.get(href).status_code) == (href, 200)


def test_the_sign_in_sends_people_home_when_they_came_from_nowhere(client, session):
    page = client.get("/login").text

    assert 'name="next" value="/"' in page


def test_an_unknown_page_is_an_html_page_in_vietnamese_that_leads_home(client, session):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Không tìm thấy trang" in response.text
    assert '<a href="/" data-testid="home-link">Về trang chủ</a>' in response.text
    english = client.get("/no-such-page?lang=en").text
    assert "Page not found" in english and "Go to the home page" in english


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/api/no-such-thing", {}), ("/no-such-page", {"accept": "application/json"})],
)
def test_an_unknown_address_answers_json_with_a_code_to_the_api(client, session, path, headers):
    response = client.get(path, headers=headers)

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not Found"}


def test_a_wrong_method_has_its_own_code(client, session):
    response = client.delete("/healthz", headers={"accept": "application/json"})

    assert response.status_code == 405
    assert response.json()["code"] == "method.not_allowed"
    assert "allow" in {k.lower() for k in response.headers}


def test_a_forbidden_page_leads_home_not_back_to_itself(client, session):
    sign_in(client, "steering-viewer")

    response = client.get("/registry/search")

    assert response.status_code == 403
    assert "Bạn không thể mở trang này" in response.text
    assert '<a href="/" data-testid="home-link">' in response.text
    assert 'href="/registry/search"' not in response.text


def test_a_server_failure_is_a_page_without_details_or_json_with_a_code(app, session):
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/boom", boom)
    app.add_api_route("/api/boom", boom)
    client = TestClient(app, raise_server_exceptions=False)

    page = client.get("/boom")
    api = client.get("/api/boom")

    assert page.status_code == 500 and "Xin lỗi, đã có lỗi xảy ra" in page.text
    assert "secret internal detail" not in page.text and 'href="/"' in page.text
    assert (api.status_code, api.json()["code"]) == (500, "server.error")
    for answer in (page, api):  # sent from outside the security middleware, yet secured
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Cache-Control"] == "no-store"


def test_the_favicon_is_linked_and_served(client, session):
    home = client.get("/").text
    icon = client.get("/favicon.ico")

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in home
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.content == client.get("/static/favicon.svg").content
    assert icon.content.startswith(b"<svg")
