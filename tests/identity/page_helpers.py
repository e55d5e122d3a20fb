"""Driving the identity pages with a TestClient the way a browser does (forms, CSRF token)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dancu.identity.accounts.models import Account
from dancu.identity.auth import totp
from tests.identity.helpers import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE = re.compile(r"\b(\d{6})\b")
ERROR = re.compile(r'data-code="([^"]*)" data-field="([^"]*)" data-testid="error">(.*?)</p>', re.S)


def csrf(client: TestClient, path: str = "/login") -> str:
    """The CSRF token of this browser's session, read from a form page."""
    found = TOKEN.search(client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def post(client: TestClient, path: str, data: dict[str, str], *, token_from: str = "/login", **kw):  # type: ignore[no-untyped-def]
    return client.post(
        path, data={**data, "csrf_token": csrf(client, token_from)}, follow_redirects=False, **kw
    )


def error_of(page: str) -> tuple[str, str, str]:
    """(code, field, text) of the error box on a page."""
    found = ERROR.search(page)
    assert found, "no error on the page"
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", found.group(3))).split())
    return found.group(1), found.group(2), text


def sink_code(client: TestClient, phone: str) -> str:
    """The newest code sent to ``phone``, read from the development message sink."""
    page = client.get("/dev/messages", params={"recipient": phone})
    assert page.status_code == 200
    bodies = re.findall(r'data-testid="message-body">([^<]*)<', page.text)
    assert bodies, f"no message to {phone}"
    found = CODE.search(bodies[0])
    assert found, bodies[0]
    return found.group(1)


def sign_in(client: TestClient, account: Account, *, next: str = "/account") -> None:
    """Password, then the SMS code from the sink: the browser is signed in."""
    answer = post(
        client, "/login", {"pid": account.citizen_pid, "password": PASSWORD, "next": next}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/login/second-factor"
    if totp.enabled(account):
        post(client, "/login/send-code", {}, token_from="/login/second-factor")
    code = sink_code(client, account.phone or "")
    answer = post(
        client,
        "/login/second-factor",
        {"method": "otp", "code": code},
        token_from="/login/second-factor",
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == next


def enrol_totp(session: Session, account: Account) -> None:
    totp.begin_enrolment(session, account)
    assert totp.confirm_enrolment(session, account, totp.current_code(account)) is None
