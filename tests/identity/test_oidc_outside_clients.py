"""What relying parties written by others send, and what an attacker's fuzzer sends.

Found by running pyoidc (``oic``) and Node's ``openid-client`` 6 against a live server, and
by sending every protocol parameter a quote, a backslash, a non-ASCII letter or a NUL:

- pyoidc's userinfo POST puts the token in the form body (RFC 6750 2.2): it was refused;
- a ``private_key_jwt`` assertion addressed to the revocation or introspection endpoint
  (as clients do for the endpoint they call) was ``invalid_client``, and discovery did not
  say which methods those endpoints take (RFC 8414 2: a client then assumes basic alone);
- ``response_type=tok"en`` (or a redirect URI with a non-ASCII letter) was a 500: Authlib
  refuses to put such a character into an ``error_description``; a NUL in a client id was a
  500 on PostgreSQL.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.identity import helpers
from tests.identity.oidc_helpers import (
    ISSUER,
    REDIRECT,
    RP,
    authorize,
    client_assertion,
    consent,
    exchange,
    query,
    register,
)


@pytest.fixture
def signed_in(web: TestClient, session) -> TestClient:  # type: ignore[no-untyped-def]
    account = helpers.active_account(session, helpers.citizen(session, "Phạm Thị Đào"))
    assert web.post(f"/_test/login/{account.id}").status_code == 200
    return web


def _tokens(web: TestClient, rp: RP) -> dict[str, str]:
    response, verifier = authorize(web, rp)
    if response.status_code == 200:
        response = consent(web, response)
    code = query(response.headers["location"])["code"]
    answer = exchange(web, rp, code, verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_userinfo_takes_the_token_in_a_post_body(signed_in: TestClient, session) -> None:  # type: ignore[no-untyped-def]
    tokens = _tokens(signed_in, register(session, "rp-body", "client_secret_basic"))
    answer = signed_in.post("/oidc/userinfo", data={"access_token": tokens["access_token"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Phạm Thị Đào"
    wrong = signed_in.post("/oidc/userinfo", data={"access_token": "not-a-token"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_token"


def test_userinfo_refuses_a_token_sent_two_ways(signed_in: TestClient, session) -> None:  # type: ignore[no-untyped-def]
    tokens = _tokens(signed_in, register(session, "rp-twice", "client_secret_basic"))
    answer = signed_in.post(
        "/oidc/userinfo",
        data={"access_token": tokens["access_token"]},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


@pytest.mark.parametrize("endpoint", ["revoke", "introspect"])
def test_an_assertion_may_name_the_endpoint_it_is_sent_to(
    signed_in: TestClient,
    session,
    endpoint: str,  # type: ignore[no-untyped-def]
) -> None:
    rp = register(session, f"rp-jwt-{endpoint}", "private_key_jwt")
    tokens = _tokens(signed_in, rp)
    assert rp.key is not None
    assertion = client_assertion(rp.key, rp.client_id)
    assertion["client_assertion"] = _readdressed(rp, f"{ISSUER}/oidc/{endpoint}")
    answer = signed_in.post(
        f"/oidc/{endpoint}", data={"token": tokens["access_token"], **assertion}
    )
    assert answer.status_code == 200, answer.text
    if endpoint == "introspect":
        assert answer.json()["active"] is True


def _readdressed(rp: RP, audience: str) -> str:
    import secrets
    import time

    from joserfc import jwt

    now = int(time.time())
    claims = {
        "iss": rp.client_id,
        "sub": rp.client_id,
        "aud": audience,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(12),
    }
    assert rp.key is not None
    return jwt.encode({"alg": "ES256", "kid": rp.key.kid}, claims, rp.key)


def test_discovery_says_how_revocation_and_introspection_authenticate(web: TestClient) -> None:
    document = web.get("/.well-known/openid-configuration").json()
    assert document["revocation_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "private_key_jwt",
        "none",
    ]
    assert document["introspection_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "private_key_jwt",
    ]


BAD_VALUES = ('tok"en', "a\\b", "Đà", "a\x00b", "a\x7fb")
FIELDS = (
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "grant_type",
    "code",
    "code_verifier",
    "refresh_token",
    "token",
    "token_type_hint",
    "request_uri",
    "prompt",
    "acr_values",
)


def test_no_parameter_value_is_a_server_error(signed_in: TestClient, session) -> None:  # type: ignore[no-untyped-def]
    """Every endpoint, every parameter, each value no client could mean: a 4xx (JSON
    ``invalid_request`` on the back channel, an error page on the authorization endpoint),
    never a 500; on both databases."""
    rp = register(session, "rp-fuzz", "client_secret_basic")
    assert rp.secret is not None
    good = {
        "client_id": rp.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s",
        "code_challenge": "x" * 43,
        "code_challenge_method": "S256",
        "grant_type": "authorization_code",
        "code": "c",
        "token": "t",
    }
    failures = []
    for field in FIELDS:
        for value in BAD_VALUES:
            form = {**good, field: value}
            answers = {
                "authorize": signed_in.get("/oidc/authorize", params=form, follow_redirects=False),
                "par (public)": signed_in.post("/oidc/par", data=form),
                "par": signed_in.post("/oidc/par", data=form, auth=(rp.client_id, rp.secret)),
                "token": signed_in.post("/oidc/token", data=form),
                "revoke": signed_in.post("/oidc/revoke", data=form),
                "introspect": signed_in.post(
                    "/oidc/introspect", data=form, auth=(rp.client_id, rp.secret)
                ),
                "logout": signed_in.get("/oidc/logout", params={field: value}),
            }
            failures += [
                f"{where} {field}={value!r}: {answer.status_code}"
                for where, answer in answers.items()
                if answer.status_code >= 500
            ]
            if field in ("response_type", "client_id", "redirect_uri") and value != "Đà":
                refused = answers["par (public)"]
                assert refused.status_code in (400, 401), (field, value, refused.text)
    assert not failures, "\n".join(failures)


def test_prompt_is_a_list_login_among_others_still_asks_to_sign_in_again(
    signed_in: TestClient,
    session,  # type: ignore[no-untyped-def]
) -> None:
    rp = register(session, "rp-prompt", "client_secret_basic")
    response, _ = authorize(signed_in, rp, prompt="login consent")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?"), response.headers["location"]


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"prompt": "none login"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        # discovery lists only "query": a client asking for the code in a fragment or a
        # posted form would otherwise get it in the query without being told
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"response_mode": "form_post"}, "invalid_request"),
    ],
)
def test_what_the_provider_cannot_honour_is_an_error_redirect(
    signed_in: TestClient,
    session,
    extra: dict[str, str],
    error: str,  # type: ignore[no-untyped-def]
) -> None:
    rp = register(session, "rp-cannot", "client_secret_basic")
    response, _ = authorize(signed_in, rp, **extra)
    assert response.status_code == 303
    assert response.headers["location"].startswith(REDIRECT)
    assert query(response.headers["location"])["error"] == error


@pytest.mark.parametrize("asked", ["wallet.manage", "registry.read registry.write", "made.up"])
def test_client_credentials_grant_only_the_clients_scopes(
    web: TestClient, session, asked: str
) -> None:  # type: ignore[no-untyped-def]
    """Authlib checks a client-credentials scope against the server's list, which is none
    here: a partner registered for registry.read was given wallet.manage when it asked."""
    partner = register(
        session,
        "partner-scopes",
        "client_secret_basic",
        redirect_uris=[],
        grant_types=["client_credentials"],
        scopes=["registry.read"],
    )
    assert partner.secret is not None
    refused = web.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": asked},
        auth=(partner.client_id, partner.secret),
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    granted = web.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": "registry.read"},
        auth=(partner.client_id, partner.secret),
    )
    assert granted.status_code == 200 and granted.json()["scope"] == "registry.read"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_userinfo_without_credentials_names_no_error(web: TestClient, method: str) -> None:
    """RFC 6750 3.1: a request with no authentication gets the challenge without an error
    code (a client library reads ``invalid_token`` as "refresh and retry")."""
    response = web.request(method, "/oidc/userinfo")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="dancu"'
    assert response.json()["error"] == "invalid_request"
