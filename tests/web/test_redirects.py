"""Redirect targets that come with a request go only to a path of this site, as a browser
reads it: the check (``web/redirects.py``) against a table of attacks, then the pages that
take a ``next`` (the e-ID sign-in and step-up, the development sign-in) over HTTP.
``tests/e2e/test_websec_browser.py`` follows a passkey sign-in in Chromium."""

from __future__ import annotations

import html
import re

import pytest

from dancu.web.redirects import local_path

DEFAULT = "/"

ATTACKS = [
    None,
    "",
    "https://evil.example/phish",
    "//evil.example/phish",
    "/\\evil.example/phish",
    "\\\\evil.example/phish",
    "/\t/evil.example/phish",  # what issue 14 found: the browser drops the tab
    "/\n/evil.example/phish",
    "/\r\n/evil.example",
    "/ /evil.example",
    "\t//evil.example",
    " /account",
    "/account ",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "/\u200b/evil.example",  # zero-width space
    "/\u2028/evil.example",  # line separator
    "/\u00a0/evil.example",  # no-break space
    "/account\\..\\..\\evil",
    "/%2F%2Fevil.example",  # a server or proxy that decodes once reads //evil.example
    "/%2f/evil.example",
    "/%5Cevil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%252F%252Fevil.example",  # decoded twice
    "/%25252F%25252Fevil.example",
    "/%25%32%46/evil.example",
    "/%FF/account",  # no UTF-8 text
    "/./evil.example",
    "/account/../../evil.example",
    "/%2e%2e/evil.example",
    "/account//evil.example",
    "javascript:alert(1)",
    "/javascript:alert(1)\n",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "account",
    "?next=//evil.example",
    "#//evil.example",
    "/\uff0f\uff0fevil.example",  # fullwidth solidus: no page of this site has one
    "/" + "a" * 2048,
]

LOCAL = [
    "/",
    "/account",
    "/account/",
    "/account/children",
    "/registry/search?name=an&commune_code=24121",
    "/registry/search?name=Nguy%E1%BB%85n+V%C4%83n",
    "/registry/search?name=Nguyễn",  # a query value as Starlette decoded it
    "/oidc/authorize?client_id=demo-portal&redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fcb"
    "&scope=openid%20profile&state=x%2F%2Fy",
    "/wallet/abc-123#qr",
    "/linkage/queue?page=2",
]


@pytest.mark.parametrize("target", ATTACKS)
def test_an_attack_falls_back_to_the_default(target: str | None):
    assert local_path(target, DEFAULT) == DEFAULT


@pytest.mark.parametrize("target", LOCAL)
def test_a_path_of_this_site_is_kept_as_it_is(target: str):
    assert local_path(target, DEFAULT) == target


PAGE_ATTACKS = ["/\t/evil.example/phish", "/\n/evil.example/phish", "/%2F%2Fevil.example"]
NEXT_FIELD = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')
DATA_NEXT = re.compile(r'data-next="([^"]*)"')


@pytest.mark.parametrize("target", PAGE_ATTACKS)
def test_the_login_page_never_carries_an_attack_on(client, target: str):  # type: ignore[no-untyped-def]
    page = client.get("/login", params={"next": target}).text

    assert [html.unescape(v) for v in NEXT_FIELD.findall(page)] == [DEFAULT]
    assert [html.unescape(v) for v in DATA_NEXT.findall(page)] == [DEFAULT]


def test_the_login_page_keeps_a_local_next(client):  # type: ignore[no-untyped-def]
    page = client.get("/login", params={"next": "/account/children"}).text

    assert [html.unescape(v) for v in DATA_NEXT.findall(page)] == ["/account/children"]


@pytest.mark.parametrize("target", PAGE_ATTACKS)
def test_the_development_sign_in_goes_nowhere_else(client, target: str):  # type: ignore[no-untyped-def]
    page = client.get("/dev/login", params={"next": target}).text
    assert set(html.unescape(v) for v in NEXT_FIELD.findall(page)) == {"/"}

    answer = client.post(
        "/dev/login",
        data={"officer": "province-clerk", "next": target},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
