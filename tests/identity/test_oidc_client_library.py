"""As a real relying party sees it: pyoidc (``oic``, not our code) against a live server.

The provider runs in uvicorn on a free port over a migrated SQLite file. ``oic`` reads the
discovery document and the JWKS, sends the authorization request with PKCE, exchanges the
code with client_secret_basic, verifies the ID token's signature against the published keys
(and its issuer, audience, nonce, expiry), calls userinfo (GET, and POST with the token in
the body), and refreshes. The "browser" is a plain
``requests`` session that signs in on the real pages: password, then the SMS code read
from the development message sink.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
import uvicorn

from dancu.app import create_app
from dancu.db.uow import unit_of_work
from dancu.identity.auth import session as logins
from tests.identity import helpers
from tests.identity.oidc_helpers import REDIRECT, register

oic_client = pytest.importorskip("oic.oic")
oic_message = pytest.importorskip("oic.oic.message")
oic_utils = pytest.importorskip("oic.utils.authn.client")

pytestmark = pytest.mark.xdist_group("oidc-live")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live(cli_database: str) -> Iterator[str]:
    app = create_app()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_pyoidc_client_from_discovery_to_userinfo(live: str) -> None:
    with unit_of_work() as session:
        person = helpers.citizen(session, "Lê Văn Cường")
        account = helpers.active_account(session, person)
        rp = register(session, "pyoidc-rp", "client_secret_basic")
        pid, phone = person.pid, account.phone

    client = oic_client.Client(client_authn_method=oic_utils.CLIENT_AUTHN_METHOD)
    info = client.provider_config(live)  # discovery + JWKS into the client's key jar
    assert info["issuer"] == live
    client.store_registration_info(
        oic_message.RegistrationResponse(
            client_id=rp.client_id,
            client_secret=rp.secret,
            redirect_uris=[REDIRECT],
            id_token_signed_response_alg="ES256",
            token_endpoint_auth_method="client_secret_basic",
        )
    )
    client.redirect_uris = [REDIRECT]
    pkce, verifier = client.add_code_challenge()
    state, nonce = "s-" + str(time.time_ns()), "n-" + str(time.time_ns())
    request = client.construct_AuthorizationRequest(
        request_args={
            "response_type": "code",
            "scope": "openid profile dancu_pid",
            "state": state,
            "nonce": nonce,
            "redirect_uri": REDIRECT,
            **pkce,
        }
    )
    auth_url = request.request(client.authorization_endpoint)

    browser = requests.Session()  # the citizen's browser, signing in on the real pages
    first = browser.get(auth_url, allow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith(logins.LOGIN_URL)
    form = browser.get(live + first.headers["location"])
    signed = browser.post(
        f"{live}/login",
        data={**helpers_hidden_fields(form.text), "pid": pid, "password": helpers.PASSWORD},
        allow_redirects=False,
    )
    assert signed.headers["location"] == "/login/second-factor", signed.text
    factor = browser.get(f"{live}/login/second-factor")
    with unit_of_work() as session:
        sms = helpers.last_code(session, phone)  # what the phone shows (development sink)
    back_to_rp = browser.post(
        f"{live}/login/second-factor",
        data={**helpers_hidden_fields(factor.text), "method": "otp", "code": sms},
        allow_redirects=False,
    )
    assert back_to_rp.headers["location"].startswith("/oidc/authorize?")
    page = browser.get(live + back_to_rp.headers["location"], allow_redirects=False)
    assert page.status_code == 200 and 'data-claim="dancu_pid"' in page.text
    fields = helpers_hidden_fields(page.text)
    back = browser.post(
        f"{live}/oidc/authorize", data={**fields, "decision": "allow"}, allow_redirects=False
    )
    location = back.headers["location"]
    assert location.startswith(REDIRECT)

    response = client.parse_response(
        oic_message.AuthorizationResponse, info=urlsplit(location).query, sformat="urlencoded"
    )
    assert response["state"] == state
    tokens = client.do_access_token_request(
        state=state,
        request_args={
            "code": response["code"],
            "code_verifier": verifier,
            "redirect_uri": REDIRECT,
        },
        authn_method="client_secret_basic",
    )
    assert "error" not in tokens, tokens.to_dict()
    id_token = tokens["id_token"]  # oic verified signature (JWKS), iss, aud, exp and nonce
    assert id_token["iss"] == live and id_token["aud"] == [rp.client_id]
    assert id_token["nonce"] == nonce and id_token["acr"] == logins.ACR_LEVEL1
    assert id_token["sub"] != pid
    userinfo = client.do_user_info_request(state=state, method="GET")
    assert "error" not in userinfo, userinfo.to_dict()
    assert userinfo["sub"] == id_token["sub"]
    assert userinfo["name"] == "Lê Văn Cường" and userinfo["dancu_pid"] == pid
    # pyoidc's POST sends the token in the form body (RFC 6750 2.2): refused until session 7
    posted = client.do_user_info_request(state=state, method="POST")
    assert "error" not in posted, posted.to_dict()
    assert posted["sub"] == id_token["sub"]
    refreshed = client.do_access_token_refresh(state=state, authn_method="client_secret_basic")
    assert "error" not in refreshed, refreshed.to_dict()
    assert refreshed["access_token"] != tokens["access_token"]
    again = client.do_user_info_request(state=state, method="GET")
    assert again["sub"] == id_token["sub"]


def test_pyoidc_refuses_an_id_token_signed_by_another_key(live: str) -> None:
    """The same client library rejects a token under our kid but signed by another key."""
    from joserfc import jwt
    from joserfc.jwk import ECKey
    from jwkest import BadSignature
    from oic.oic.message import IdToken

    client = oic_client.Client(client_authn_method=oic_utils.CLIENT_AUTHN_METHOD)
    client.provider_config(live)
    kid = requests.get(f"{live}/oidc/jwks").json()["keys"][0]["kid"]
    forged_key = ECKey.generate_key("P-256", private=True, parameters={"kid": kid})
    now = int(time.time())
    claims = {"iss": live, "sub": "x", "aud": "rp", "iat": now, "exp": now + 60}
    forged = jwt.encode({"alg": "ES256", "kid": kid}, claims, forged_key)
    with pytest.raises(BadSignature):
        IdToken().from_jwt(forged, keyjar=client.keyjar, sender=live)


def helpers_hidden_fields(text: str) -> dict[str, str]:
    import html
    import re

    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text)
    return {k: html.unescape(v) for k, v in found}
