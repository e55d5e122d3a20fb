"""RP-initiated logout (end_session_endpoint), and the attacks it must refuse: an open
redirect, a forged id_token_hint, and a link that signs someone out without asking."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey

from dancu.common.access import SYSTEM_ACTOR, Role
from dancu.identity.accounts import officers
from dancu.identity.auth.models import LoginSession
from dancu.identity.auth.session import public_sid
from dancu.identity.keys import service as keys
from tests.conftest import COMMUNE
from tests.identity.oidc_helpers import ISSUER, REDIRECT, query
from tests.identity.oidc_setup import Browser, authorized, code_flow, exchange, signed_in_browser
from tests.identity.page_helpers import TOKEN

LOGOUT = "/oidc/logout"


@pytest.fixture
def browser(app, session) -> Browser:  # type: ignore[no-untyped-def]
    return signed_in_browser(app, session)


@pytest.fixture
def id_token(browser: Browser) -> str:
    return code_flow(browser)[1]["id_token"]


def _live(session, browser: Browser) -> bool:  # type: ignore[no-untyped-def]
    """The login session row is not revoked, and the browser is still signed in."""
    session.expire_all()
    row = session.get(LoginSession, browser.sid)
    answer = browser.web.get("/account", follow_redirects=False)
    assert (row.revoked_at is None) == (answer.status_code == 200), answer.status_code
    return row.revoked_at is None


def _logout(web: TestClient, **params: str) -> Any:
    return web.get(LOGOUT, params=params, follow_redirects=False)


def _signed(claims: dict[str, Any], key: Any) -> str:
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


def _claims(browser: Browser, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": browser.rp.client_id,
        "sub": "x",
        "iat": now,
        "exp": now + 600,
        "sid": public_sid(browser.sid),
        **changes,
    }


def test_discovery_names_the_end_session_endpoint(browser):
    meta = browser.web.get("/.well-known/openid-configuration").json()
    assert meta["end_session_endpoint"] == f"{ISSUER}/oidc/logout"


def test_a_hint_naming_this_session_signs_out_and_returns_with_state(browser, id_token, session):
    answer = _logout(
        browser.web, id_token_hint=id_token, post_logout_redirect_uri=REDIRECT, state="after-logout"
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(REDIRECT + "?")
    assert query(answer.headers["location"]) == {"state": "after-logout"}
    assert not _live(session, browser)
    assert session.get(LoginSession, browser.sid).revoked_reason == "logout"


def test_without_a_redirect_the_provider_says_signed_out(browser, id_token, session):
    answer = _logout(browser.web, id_token_hint=id_token)
    assert answer.status_code == 200 and 'data-testid="logout-done"' in answer.text
    assert not _live(session, browser)


def test_a_relying_party_may_post_the_request(browser, id_token, session):
    """A cross-site POST arrives without the SameSite=Lax cookie, so the POST ends nothing
    itself: it sends the browser to the GET form (a top-level GET carries the cookie) with
    the same checked parameters, which then signs out."""
    form = {
        "id_token_hint": id_token,
        "state": "s",
        "post_logout_redirect_uri": REDIRECT,
        "unknown": "dropped",
    }
    answer = browser.web.post(LOGOUT, data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(LOGOUT + "?")
    assert query(location) == {
        "id_token_hint": id_token,
        "state": "s",
        "post_logout_redirect_uri": REDIRECT,
    }
    assert _live(session, browser)  # the POST alone ended nothing
    answer = browser.web.get(location, follow_redirects=False)
    assert answer.status_code == 303 and query(answer.headers["location"]) == {"state": "s"}
    assert not _live(session, browser)


def test_a_posted_request_without_the_cookie_still_goes_through_the_get(
    app, browser, id_token, session
):
    """What a cross-site POST looks like (no cookie): not straight back to the relying party."""
    form = {"id_token_hint": id_token, "state": "s", "post_logout_redirect_uri": REDIRECT}
    answer = TestClient(app).post(LOGOUT, data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith(LOGOUT + "?")
    assert _live(session, browser)


@pytest.mark.parametrize("target", ["https://evil.example/", "https://rp.example.vn/cb/"])
def test_a_posted_request_is_checked_before_any_redirect(browser, id_token, session, target):
    form = {"id_token_hint": id_token, "post_logout_redirect_uri": target}
    answer = browser.web.post(LOGOUT, data=form, follow_redirects=False)
    assert answer.status_code == 422 and "location" not in answer.headers
    assert 'data-code="oidc.logout_redirect_unregistered"' in answer.text
    assert _live(session, browser)


def test_an_expired_hint_is_still_a_hint(browser, session):
    old = _claims(browser, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    answer = _logout(browser.web, id_token_hint=_signed(old, keys.active_key(session, "oidc")))
    assert answer.status_code == 200 and not _live(session, browser)


def test_signing_out_revokes_the_tokens_of_that_login(browser, session):
    """A relying party cannot keep the holder's data flowing by refreshing after logout;
    tokens of another login of the same account are untouched."""
    _params, tokens = code_flow(browser)
    other = _second_browser(browser)
    _params, kept = code_flow(other)
    answer = _logout(browser.web, id_token_hint=tokens["id_token"])
    assert answer.status_code == 200 and not _live(session, browser)
    assert _userinfo(browser.web, tokens["access_token"]) == 401
    assert _refresh(browser, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert _userinfo(other.web, kept["access_token"]) == 200
    assert _refresh(other, kept["refresh_token"]).status_code == 200


def test_a_code_issued_before_logout_cannot_be_exchanged_after_it(browser, id_token, session):
    params, verifier = authorized(browser)
    answer = _logout(browser.web, id_token_hint=id_token)
    assert answer.status_code == 200 and not _live(session, browser)
    refused = exchange(browser.web, browser.rp, params["code"], verifier)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def _userinfo(web: TestClient, access_token: str) -> int:
    headers = {"Authorization": f"Bearer {access_token}"}
    return web.get("/oidc/userinfo", headers=headers).status_code


def _refresh(browser: Browser, refresh_token: str) -> Any:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return browser.web.post(
        "/oidc/token", data=form, auth=(browser.rp.client_id, browser.rp.secret or "")
    )


def _second_browser(browser: Browser) -> Browser:
    """Another browser of the same holder: its own login session."""
    web = TestClient(browser.web.app)
    answer = web.post(f"/_test/login/{browser.account.id}")
    return Browser(web, browser.account, browser.rp, answer.json()["sid"])


# --- attacks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "https://rp.example.vn/cb/../../evil",
        "https://rp.example.vn/cb?next=https://evil.example",
        "https://rp.example.vn/cb/",
        "https://rp.example.vn/CB",
        "http://rp.example.vn/cb",
        "//evil.example/cb",
        "https://rp.example.vn/c\tb",  # what a browser reads as the registered one: still
        "https://rp.example.vn/cb\n",  # not the exact string, so refused (issue 14)
    ],
)
def test_an_unregistered_post_logout_redirect_is_refused(browser, id_token, session, target):
    answer = _logout(browser.web, id_token_hint=id_token, post_logout_redirect_uri=target)
    assert answer.status_code == 422 and "location" not in answer.headers
    assert 'data-code="oidc.logout_redirect_unregistered"' in answer.text
    assert _live(session, browser)  # refused before anything ended


def test_a_redirect_without_a_client_is_refused(browser, session):
    answer = _logout(browser.web, post_logout_redirect_uri=REDIRECT)
    assert answer.status_code == 422 and "location" not in answer.headers
    assert 'data-code="oidc.logout_client_required"' in answer.text
    assert _live(session, browser)


def test_a_hint_signed_by_another_key_is_refused(browser, session):
    """The attacker knows the sid and the client: only the provider's signature is missing."""
    forged = _signed(_claims(browser), ECKey.generate_key("P-256", private=True, auto_kid=True))
    answer = _logout(browser.web, id_token_hint=forged, post_logout_redirect_uri=REDIRECT)
    assert answer.status_code == 422 and 'data-code="oidc.logout_hint_invalid"' in answer.text
    assert "location" not in answer.headers and _live(session, browser)


def test_a_hint_with_a_changed_payload_is_refused(browser, id_token, session):
    head, _payload, signature = id_token.split(".")
    other = _signed(
        _claims(browser, sub="someone-else"),
        ECKey.generate_key("P-256", private=True, auto_kid=True),
    )
    tampered = ".".join([head, other.split(".")[1], signature])
    answer = _logout(browser.web, id_token_hint=tampered)
    assert 'data-code="oidc.logout_hint_invalid"' in answer.text and _live(session, browser)


def test_an_unsigned_hint_is_refused(browser, session):
    unsigned = jwt.encode({"alg": "none"}, _claims(browser), None, algorithms=["none"])
    answer = _logout(browser.web, id_token_hint=unsigned)
    assert 'data-code="oidc.logout_hint_invalid"' in answer.text and _live(session, browser)


def test_a_hint_of_another_issuer_is_refused(browser, session):
    """Signed with the provider's own key, but not for this issuer."""
    claims = _claims(browser, iss="https://other.example")
    answer = _logout(browser.web, id_token_hint=_signed(claims, keys.active_key(session, "oidc")))
    assert 'data-code="oidc.logout_hint_invalid"' in answer.text and _live(session, browser)


def test_a_client_id_that_is_not_the_hints_audience_is_refused(browser, id_token, session):
    answer = _logout(browser.web, id_token_hint=id_token, client_id="someone-else")
    assert 'data-code="oidc.logout_client_mismatch"' in answer.text and _live(session, browser)


def test_a_link_without_a_hint_does_not_sign_out_without_confirmation(browser, session):
    answer = _logout(
        browser.web, client_id=browser.rp.client_id, post_logout_redirect_uri=REDIRECT, state="s1"
    )
    assert answer.status_code == 200 and 'data-testid="logout-confirm"' in answer.text
    assert answer.headers["x-frame-options"] == "DENY"  # the button cannot be clickjacked
    assert f"RP {browser.rp.client_id}" in answer.text and _live(session, browser)
    fields = {
        "client_id": browser.rp.client_id,
        "post_logout_redirect_uri": REDIRECT,
        "state": "s1",
    }
    # a cross-site form cannot confirm: it lacks this session's CSRF token
    forged = browser.web.post(f"{LOGOUT}/confirm", data=fields, follow_redirects=False)
    assert forged.status_code == 403 and _live(session, browser)
    token = TOKEN.search(answer.text)
    assert token is not None
    done = browser.web.post(
        f"{LOGOUT}/confirm", data={**fields, "csrf_token": token.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303 and query(done.headers["location"]) == {"state": "s1"}
    assert not _live(session, browser)


def test_a_hint_for_an_earlier_session_asks_first(browser, id_token, session):
    """Signed in again since the ID token was issued: the old hint does not end the new
    session (a stolen old ID token cannot sign the holder out)."""
    answer = browser.web.post(f"/_test/login/{browser.account.id}")
    browser.sid = answer.json()["sid"]
    page = _logout(browser.web, id_token_hint=id_token, post_logout_redirect_uri=REDIRECT)
    assert page.status_code == 200 and 'data-testid="logout-confirm"' in page.text
    assert _live(session, browser)


def test_the_confirmation_is_checked_again(browser, session):
    """The hidden fields come back from the browser: an edited redirect is refused."""
    page = _logout(browser.web, client_id=browser.rp.client_id)
    token = TOKEN.search(page.text)
    assert token is not None
    answer = browser.web.post(
        f"{LOGOUT}/confirm",
        data={
            "client_id": browser.rp.client_id,
            "post_logout_redirect_uri": "https://evil.example/",
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 422 and "location" not in answer.headers
    assert _live(session, browser)


def test_nobody_signed_in_goes_straight_back(app, session, browser, id_token):
    stranger = TestClient(app)
    answer = _logout(
        stranger, id_token_hint=id_token, post_logout_redirect_uri=REDIRECT, state="s2"
    )
    assert answer.status_code == 303 and query(answer.headers["location"]) == {"state": "s2"}
    assert _live(session, browser)  # the holder's own browser is untouched


# --- officers: the page session (their roles in the cookie) ends with the login ------------


@pytest.fixture
def officer(browser, session) -> Browser:  # type: ignore[no-untyped-def]
    officers.grant_role(session, browser.account, Role.REGISTRY_CLERK, COMMUNE, actor=SYSTEM_ACTOR)
    answer = browser.web.post(f"/_test/login/{browser.account.id}")  # roles are read at sign-in
    browser.sid = answer.json()["sid"]
    return browser


def _registry_open(web: TestClient) -> bool:
    answer = web.get("/registry/search", follow_redirects=False)
    assert answer.status_code in (200, 303), answer.status_code
    return answer.status_code == 200


def test_rp_logout_ends_an_officers_registry_pages(officer, session):
    assert _registry_open(officer.web)
    id_token = code_flow(officer)[1]["id_token"]
    answer = _logout(officer.web, id_token_hint=id_token)
    assert answer.status_code == 200 and not _live(session, officer)
    assert not _registry_open(officer.web)


def test_the_sign_out_button_of_the_officer_pages(officer, session):
    search = officer.web.get("/registry/search")
    assert 'action="/logout"' in search.text
    token = TOKEN.search(search.text)
    assert token is not None
    forged = officer.web.post("/logout", follow_redirects=False)  # no token: another site
    assert forged.status_code == 403 and _registry_open(officer.web)
    answer = officer.web.post(
        "/logout", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert answer.status_code == 303 and not _live(session, officer)
    assert not _registry_open(officer.web)
