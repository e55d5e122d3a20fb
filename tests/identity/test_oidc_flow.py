"""The OpenID Connect provider end to end through the app, and the attacks it must refuse."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey, KeySet
from sqlalchemy import select

from dancu.db import utcnow
from dancu.identity.auth import session as logins
from dancu.identity.oidc.models import OidcToken, PushedRequest
from tests.identity import helpers
from tests.identity.oidc_helpers import (
    ISSUER,
    REDIRECT,
    RP,
    authorize,
    client_assertion,
    consent,
    dpop_proof,
    exchange,
    query,
    register,
)


@pytest.fixture
def person(session):  # type: ignore[no-untyped-def]
    return helpers.citizen(session, "Trần Thị Bình", sex="F")


@pytest.fixture
def account(session, person):  # type: ignore[no-untyped-def]
    return helpers.active_account(session, person)


@pytest.fixture
def signed_in(web: TestClient, account) -> TestClient:  # type: ignore[no-untyped-def]
    assert web.post(f"/_test/login/{account.id}").status_code == 200
    return web


@pytest.fixture
def rp(session) -> RP:  # type: ignore[no-untyped-def]
    return register(session, "rp-basic", "client_secret_basic")


def _code(web: TestClient, rp: RP, **extra: str) -> tuple[str, str]:
    response, verifier = authorize(web, rp, **extra)
    if response.status_code == 200:  # the consent page
        response = consent(web, response)
    assert response.status_code == 303, response.text
    params = query(response.headers["location"])
    assert response.headers["location"].startswith(REDIRECT), params
    assert params["iss"] == ISSUER and params["state"] == "st4te"
    return params["code"], verifier


def _jwks(web: TestClient) -> KeySet:
    return KeySet.import_key_set(web.get("/oidc/jwks").json())


# --- the happy path ----------------------------------------------------------------------


def test_discovery_names_every_endpoint(web):
    meta = web.get("/.well-known/openid-configuration").json()
    assert meta["issuer"] == ISSUER
    for name in (
        "authorization",
        "token",
        "userinfo",
        "revocation",
        "introspection",
        "pushed_authorization_request",
    ):
        assert meta[f"{name}_endpoint"].startswith(ISSUER + "/oidc/")
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "private_key_jwt" in meta["token_endpoint_auth_methods_supported"]
    assert logins.ACR_LEVEL2 in meta["acr_values_supported"]
    # A partner's integrator learns the API scopes from discovery too.
    assert {"openid", "registry.read", "registry.write", "linkage.read"} <= set(
        meta["scopes_supported"]
    )


def test_code_flow_with_consent_id_token_and_userinfo(signed_in, rp, person, account, session):
    response, verifier = authorize(signed_in, rp, scope="openid profile dancu_pid address")
    assert response.status_code == 200
    assert 'data-claim="dancu_pid"' in response.text and "Chia sẻ thông tin" in response.text
    response = consent(signed_in, response)
    code = query(response.headers["location"])["code"]
    tokens = exchange(signed_in, rp, code, verifier)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    id_token = jwt.decode(body["id_token"], _jwks(signed_in))
    c = id_token.claims
    assert c["iss"] == ISSUER and c["aud"] == "rp-basic" and c["nonce"] == "n0nce"
    assert c["acr"] == logins.ACR_LEVEL1 and c["amr"] == ["pwd", "otp"]
    from dancu.identity.auth.models import LoginSession
    from dancu.identity.auth.session import public_sid

    [login_row] = session.scalars(select(LoginSession)).all()
    assert c["sid"] == public_sid(login_row.id) and login_row.id not in body["id_token"]
    assert c["sub"] != person.pid and person.pid not in body["id_token"]
    assert c["exp"] > c["iat"] >= c["auth_time"] - 1
    info = signed_in.get(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 200, info.text
    claims = info.json()
    assert claims["sub"] == c["sub"]
    assert claims["name"] == "Trần Thị Bình" and claims["dancu_pid"] == person.pid
    assert claims["birthdate"] == person.birth_date.isoformat() and claims["gender"] == "female"
    assert claims["address"]["country"] == "VN"
    # consent is remembered: the next authorization goes straight back to the client
    again, _ = authorize(signed_in, rp, scope="openid profile")
    assert again.status_code == 303 and "code=" in again.headers["location"]


def test_pairwise_subjects_differ_between_clients(signed_in, rp, session):
    other = register(session, "rp-other", "client_secret_basic")
    subs = []
    for client in (rp, other):
        code, verifier = _code(signed_in, client)
        body = exchange(signed_in, client, code, verifier).json()
        subs.append(jwt.decode(body["id_token"], _jwks(signed_in)).claims["sub"])
    assert subs[0] != subs[1]


def test_no_login_goes_to_the_login_page(web, rp):
    response, _ = authorize(web, rp)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Foidc%2Fauthorize%3F")


def test_prompt_login_sends_a_signed_in_user_back_to_login(signed_in, rp):
    response, _ = authorize(signed_in, rp, prompt="login")
    assert response.headers["location"].startswith("/login?next=")


def test_consent_denied_returns_access_denied(signed_in, rp):
    response, _ = authorize(signed_in, rp)
    denied = consent(signed_in, response, "deny")
    assert query(denied.headers["location"])["error"] == "access_denied"


def test_client_credentials_for_a_partner(web, session):
    partner = register(
        session,
        "partner",
        "client_secret_basic",
        redirect_uris=[],
        grant_types=["client_credentials"],
        scopes=["registry.read"],
    )
    ok = web.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": "registry.read"},
        auth=(partner.client_id, partner.secret),
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["scope"] == "registry.read" and "refresh_token" not in ok.json()
    assert ok.headers["cache-control"] == "no-store"
    intro = web.post(
        "/oidc/introspect",
        data={"token": ok.json()["access_token"]},
        auth=(partner.client_id, partner.secret),
    ).json()
    assert intro["active"] is True and intro["client_id"] == "partner"


# --- attacks -----------------------------------------------------------------------------


def test_client_credentials_with_a_wrong_secret_fails(web, session):
    partner = register(
        session,
        "partner",
        "client_secret_basic",
        redirect_uris=[],
        grant_types=["client_credentials"],
        scopes=["registry.read"],
    )
    bad = web.post(
        "/oidc/token",
        data={"grant_type": "client_credentials"},
        auth=(partner.client_id, partner.secret + "x"),
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert session.scalars(select(OidcToken)).all() == []


def test_wrong_redirect_uri_shows_an_error_page_and_redirects_nowhere(signed_in, rp):
    response, _ = authorize(signed_in, rp, redirect_uri="https://evil.example/cb")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert 'data-code="oidc.invalid_request"' in response.text or "oidc." in response.text


def test_unknown_client_shows_an_error_page(signed_in):
    response, _ = authorize(signed_in, RP("nobody"))
    assert response.status_code == 400 and "location" not in response.headers


def test_authorization_without_pkce_is_refused(signed_in, rp):
    response, _ = authorize(signed_in, rp, code_challenge="", code_challenge_method="")
    assert query(response.headers["location"])["error"] == "invalid_request"


def test_missing_pkce_verifier_fails(signed_in, rp, session):
    code, _ = _code(signed_in, rp)
    response = exchange(signed_in, rp, code, None)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert session.scalars(select(OidcToken)).all() == []


def test_wrong_pkce_verifier_fails(signed_in, rp, session):
    code, _ = _code(signed_in, rp)
    response = exchange(signed_in, rp, code, "x" * 50)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert session.scalars(select(OidcToken)).all() == []


def test_code_used_twice_fails_and_revokes_the_first_tokens(signed_in, rp):
    code, verifier = _code(signed_in, rp)
    first = exchange(signed_in, rp, code, verifier).json()
    second = exchange(signed_in, rp, code, verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    info = signed_in.get(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert info.status_code == 401
    refresh = signed_in.post(
        "/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(rp.client_id, rp.secret),
    )
    assert refresh.json()["error"] == "invalid_grant"


def test_expired_access_token_is_refused(signed_in, rp, session):
    code, verifier = _code(signed_in, rp)
    token = exchange(signed_in, rp, code, verifier).json()["access_token"]
    row = session.scalars(select(OidcToken)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    info = signed_in.get("/oidc/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert info.status_code == 401 and "invalid_token" in info.headers["www-authenticate"]
    intro = signed_in.post(
        "/oidc/introspect", data={"token": token}, auth=(rp.client_id, rp.secret)
    )
    assert intro.json() == {"active": False}


def test_tampered_id_token_fails_verification(signed_in, rp):
    code, verifier = _code(signed_in, rp)
    id_token = exchange(signed_in, rp, code, verifier).json()["id_token"]
    head, _payload, sig = id_token.split(".")
    claims = jwt.decode(id_token, _jwks(signed_in)).claims
    forged = dict(claims, acr=logins.ACR_LEVEL2)
    import base64
    import json

    body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{head}.{body}.{sig}", _jwks(signed_in))
    tampered_access = signed_in.get(
        "/oidc/userinfo", headers={"Authorization": "Bearer " + "A" * 43}
    )
    assert tampered_access.status_code == 401


def test_level1_session_at_a_level2_client(signed_in, session):
    strict = register(session, "rp-l2", "client_secret_basic", required_acr=logins.ACR_LEVEL2)
    response, _ = authorize(signed_in, strict)
    assert response.status_code == 303
    error = query(response.headers["location"])
    assert error["error"] == "access_denied" and response.headers["location"].startswith(REDIRECT)


def test_leaving_the_step_up_page_goes_back_to_the_service_denied(signed_in, account, session):
    """A level-2 account that cannot confirm now is not stuck: the step-up page sends it back
    to the service, which learns the request was denied."""
    import re

    account.level = 2
    session.flush()
    strict = register(session, "rp-l2", "client_secret_basic", required_acr=logins.ACR_LEVEL2)
    response, _ = authorize(signed_in, strict)
    page = signed_in.get(response.headers["location"])
    leave = re.search(r'data-testid="step-up-leave">(.*?)</form>', page.text, re.S)
    assert leave, "no way back on the step-up page"
    answer = consent(signed_in, type("Page", (), {"text": leave.group(1)}), decision="deny")
    assert answer.status_code == 303 and answer.headers["location"].startswith(REDIRECT)
    assert query(answer.headers["location"])["error"] == "access_denied"
    assert query(answer.headers["location"])["state"] == "st4te"


def test_level2_account_is_sent_to_step_up_then_gets_acr2(signed_in, account, session):
    account.level = 2
    session.flush()
    strict = register(session, "rp-l2", "client_secret_basic", required_acr=logins.ACR_LEVEL2)
    response, _ = authorize(signed_in, strict)
    assert response.headers["location"].startswith("/login/step-up?next=")
    assert signed_in.post("/_test/step-up").status_code == 200
    code, verifier = _code(signed_in, strict)
    body = exchange(signed_in, strict, code, verifier).json()
    assert jwt.decode(body["id_token"], _jwks(signed_in)).claims["acr"] == logins.ACR_LEVEL2
    # after the step-up window, a refresh carries level 1
    session.execute(OidcToken.__table__.update().values(step_up_until=0))
    refreshed = signed_in.post(
        "/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=(strict.client_id, strict.secret),
    )
    assert refreshed.status_code == 200, refreshed.text
    intro = signed_in.post(
        "/oidc/introspect",
        data={"token": refreshed.json()["access_token"]},
        auth=(strict.client_id, strict.secret),
    ).json()
    assert intro["acr"] == logins.ACR_LEVEL1


def test_refresh_rotation_and_reuse_revokes_the_family(signed_in, rp):
    code, verifier = _code(signed_in, rp)
    first = exchange(signed_in, rp, code, verifier).json()

    def refresh(token: str):  # type: ignore[no-untyped-def]
        return signed_in.post(
            "/oidc/token",
            data={"grant_type": "refresh_token", "refresh_token": token},
            auth=(rp.client_id, rp.secret),
        )

    second = refresh(first["refresh_token"])
    assert second.status_code == 200 and second.json()["refresh_token"] != first["refresh_token"]
    replay = refresh(first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert refresh(second.json()["refresh_token"]).json()["error"] == "invalid_grant"
    info = signed_in.get(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {second.json()['access_token']}"}
    )
    assert info.status_code == 401


def test_revocation_of_a_refresh_token_ends_the_family(signed_in, rp):
    code, verifier = _code(signed_in, rp)
    body = exchange(signed_in, rp, code, verifier).json()
    r = signed_in.post(
        "/oidc/revoke",
        data={"token": body["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(rp.client_id, rp.secret),
    )
    assert r.status_code == 200
    info = signed_in.get(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 401


def test_public_client_needs_pkce_and_no_secret(signed_in, session):
    public = register(session, "spa", "none")
    code, verifier = _code(signed_in, public)
    assert exchange(signed_in, public, code, None).json()["error"] == "invalid_request"
    code, verifier = _code(signed_in, public)
    assert exchange(signed_in, public, code, verifier).status_code == 200


# --- FAPI 2.0: PAR, private_key_jwt, DPoP -----------------------------------------------


@pytest.fixture
def fapi(session) -> RP:  # type: ignore[no-untyped-def]
    return register(session, "bank", "private_key_jwt", fapi2=True)


def _par(web: TestClient, rp: RP, challenge: str, **extra: str):  # type: ignore[no-untyped-def]
    form = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "st4te",
        "nonce": "n0nce",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    form, auth = rp.auth(form)
    return web.post("/oidc/par", data=form, auth=auth)


def _fapi_code(web: TestClient, rp: RP) -> tuple[str, str]:
    from tests.identity.oidc_helpers import pkce

    verifier, challenge = pkce()
    pushed = _par(web, rp, challenge)
    assert pushed.status_code == 201, pushed.text
    uri = pushed.json()["request_uri"]
    response = web.get(
        "/oidc/authorize",
        params={"client_id": rp.client_id, "request_uri": uri},
        follow_redirects=False,
    )
    if response.status_code == 200:
        response = consent(web, response)
    params = query(response.headers["location"])
    assert "code" in params, params
    return params["code"], verifier


def test_fapi2_flow_par_private_key_jwt_dpop(signed_in, fapi):
    code, verifier = _fapi_code(signed_in, fapi)
    key = ECKey.generate_key("P-256", private=True)
    proof = dpop_proof(key, "POST", f"{ISSUER}/oidc/token")
    tokens = exchange(signed_in, fapi, code, verifier, DPoP=proof)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "DPoP"
    at = body["access_token"]
    ok = signed_in.get(
        "/oidc/userinfo",
        headers={
            "Authorization": f"DPoP {at}",
            "DPoP": dpop_proof(key, "GET", f"{ISSUER}/oidc/userinfo", access_token=at),
        },
    )
    assert ok.status_code == 200, ok.text
    intro = signed_in.post("/oidc/introspect", data=fapi.auth({"token": at})[0]).json()
    assert intro["cnf"]["jkt"] == key.thumbprint()
    # as a bearer token it is refused; with another key it is refused
    assert (
        signed_in.get("/oidc/userinfo", headers={"Authorization": f"Bearer {at}"}).status_code
        == 401
    )
    thief = ECKey.generate_key("P-256", private=True)
    stolen = signed_in.get(
        "/oidc/userinfo",
        headers={
            "Authorization": f"DPoP {at}",
            "DPoP": dpop_proof(thief, "GET", f"{ISSUER}/oidc/userinfo", access_token=at),
        },
    )
    assert stolen.status_code == 401


def test_fapi2_client_without_par_is_refused(signed_in, fapi):
    response, _ = authorize(signed_in, fapi)
    assert query(response.headers["location"])["error"] == "invalid_request"


def test_fapi2_token_request_without_dpop_is_refused(signed_in, fapi):
    code, verifier = _fapi_code(signed_in, fapi)
    response = exchange(signed_in, fapi, code, verifier)
    assert response.status_code == 400 and "DPoP" in response.json()["error_description"]


def test_dpop_proof_replay_is_refused(signed_in, fapi):
    key = ECKey.generate_key("P-256", private=True)
    proof = dpop_proof(key, "POST", f"{ISSUER}/oidc/token")
    code, verifier = _fapi_code(signed_in, fapi)
    assert exchange(signed_in, fapi, code, verifier, DPoP=proof).status_code == 200
    code, verifier = _fapi_code(signed_in, fapi)
    replayed = exchange(signed_in, fapi, code, verifier, DPoP=proof)
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_dpop_proof"


def test_dpop_proof_for_another_url_is_refused(signed_in, fapi):
    key = ECKey.generate_key("P-256", private=True)
    code, verifier = _fapi_code(signed_in, fapi)
    proof = dpop_proof(key, "POST", "https://other.example/oidc/token")
    assert (
        exchange(signed_in, fapi, code, verifier, DPoP=proof).json()["error"]
        == "invalid_dpop_proof"
    )


def test_dpop_refresh_with_another_key_is_refused(signed_in, fapi):
    key = ECKey.generate_key("P-256", private=True)
    code, verifier = _fapi_code(signed_in, fapi)
    body = exchange(
        signed_in, fapi, code, verifier, DPoP=dpop_proof(key, "POST", f"{ISSUER}/oidc/token")
    ).json()
    thief = ECKey.generate_key("P-256", private=True)
    form, _ = fapi.auth({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
    stolen = signed_in.post(
        "/oidc/token",
        data=form,
        headers={"DPoP": dpop_proof(thief, "POST", f"{ISSUER}/oidc/token")},
    )
    assert stolen.json()["error"] == "invalid_grant"


def test_private_key_jwt_with_a_wrong_key_fails(web, fapi):
    wrong = ECKey.generate_key("P-256", private=True, parameters={"kid": fapi.key.kid})
    form = {"grant_type": "client_credentials", **client_assertion(wrong, fapi.client_id)}
    response = web.post("/oidc/par", data={**form, "response_type": "code"})
    assert response.status_code in (400, 401) and response.json()["error"] == "invalid_client"


def test_private_key_jwt_replayed_jti_fails(web, fapi):
    from tests.identity.oidc_helpers import pkce

    _, challenge = pkce()
    assertion = client_assertion(fapi.key, fapi.client_id, jti="same-jti")
    base = {
        "response_type": "code",
        "client_id": fapi.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    assert web.post("/oidc/par", data={**base, **assertion}).status_code == 201
    again = web.post("/oidc/par", data={**base, **assertion})
    assert again.status_code in (400, 401) and again.json()["error"] == "invalid_client"


def test_par_request_uri_used_twice_or_expired_fails(signed_in, fapi, session):
    from tests.identity.oidc_helpers import pkce

    _, challenge = pkce()
    uri = _par(signed_in, fapi, challenge).json()["request_uri"]
    params = {"client_id": fapi.client_id, "request_uri": uri}
    first = signed_in.get("/oidc/authorize", params=params, follow_redirects=False)
    assert consent(signed_in, first).status_code == 303
    reused = signed_in.get("/oidc/authorize", params=params, follow_redirects=False)
    assert reused.status_code == 400 and "location" not in reused.headers
    uri2 = _par(signed_in, fapi, challenge).json()["request_uri"]
    for row in session.scalars(select(PushedRequest)):
        row.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    expired = signed_in.get(
        "/oidc/authorize",
        params={"client_id": fapi.client_id, "request_uri": uri2},
        follow_redirects=False,
    )
    assert expired.status_code == 400


# --- sessions, consent and proofs: the finer rules ----------------------------------------


def test_prompt_login_is_satisfied_by_a_new_sign_in(signed_in, rp, account):
    response, _ = authorize(signed_in, rp, prompt="login")
    next_url = query(response.headers["location"])["next"]
    assert "dancu_reauth=" in next_url
    assert signed_in.get(next_url, follow_redirects=False).headers["location"].startswith("/login")
    signed_in.post(f"/_test/login/{account.id}")  # the user signs in again
    page = signed_in.get(next_url, follow_redirects=False)
    assert page.status_code == 200 and "consent-allow" in page.text


def test_a_forged_reauth_marker_is_ignored(signed_in, rp):
    response, _ = authorize(signed_in, rp, prompt="login", dancu_reauth="1.deadbeef")
    assert response.headers["location"].startswith("/login?next=")


def test_max_age_forces_a_new_sign_in(signed_in, rp, session):
    from dancu.identity.auth.models import LoginSession

    for row in session.scalars(select(LoginSession)):
        row.auth_time = utcnow() - timedelta(hours=1)
    session.flush()
    response, _ = authorize(signed_in, rp, max_age="600")
    assert response.headers["location"].startswith("/login?next=")
    fresh, _ = authorize(signed_in, rp, max_age="7200")
    assert fresh.status_code == 200  # the consent page


def test_prompt_none_without_login_returns_login_required(web, rp):
    response, _ = authorize(web, rp, prompt="none")
    assert query(response.headers["location"])["error"] == "login_required"


def test_revoked_consent_is_asked_again(signed_in, rp, account, session):
    from dancu.identity.oidc import authorize as oidc

    _code(signed_in, rp)
    again, _ = authorize(signed_in, rp)
    assert again.status_code == 303
    assert oidc.revoke_consent(session, account.id, rp.client_id) is True
    asked, _ = authorize(signed_in, rp)
    assert asked.status_code == 200 and "consent-allow" in asked.text


def test_scope_beyond_the_clients_is_refused(signed_in, session):
    narrow = register(session, "rp-narrow", "client_secret_basic", scopes=["openid"])
    response, _ = authorize(signed_in, narrow, scope="openid dancu_pid")
    assert query(response.headers["location"])["error"] == "invalid_scope"


def test_closed_account_cannot_refresh(signed_in, rp, account, session):
    code, verifier = _code(signed_in, rp)
    body = exchange(signed_in, rp, code, verifier).json()
    account.status = "closed"
    session.flush()
    response = signed_in.post(
        "/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=(rp.client_id, rp.secret),
    )
    assert response.status_code == 400
    info = signed_in.get(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 401


def _dpop_tokens(web, fapi):  # type: ignore[no-untyped-def]
    key = ECKey.generate_key("P-256", private=True)
    code, verifier = _fapi_code(web, fapi)
    proof = dpop_proof(key, "POST", f"{ISSUER}/oidc/token")
    return key, exchange(web, fapi, code, verifier, DPoP=proof).json()["access_token"]


def test_dpop_proof_without_the_token_hash_is_refused_at_userinfo(signed_in, fapi):
    key, at = _dpop_tokens(signed_in, fapi)
    proof = dpop_proof(key, "GET", f"{ISSUER}/oidc/userinfo")  # no ath
    response = signed_in.get(
        "/oidc/userinfo", headers={"Authorization": f"DPoP {at}", "DPoP": proof}
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"


def test_old_dpop_proof_is_refused(signed_in, fapi):
    key = ECKey.generate_key("P-256", private=True)
    code, verifier = _fapi_code(signed_in, fapi)
    stale = dpop_proof(key, "POST", f"{ISSUER}/oidc/token", iat=int(time.time()) - 600)
    response = exchange(signed_in, fapi, code, verifier, DPoP=stale)
    assert response.json()["error"] == "invalid_dpop_proof"


def test_dpop_proof_with_a_symmetric_or_private_key_is_refused(signed_in, fapi):
    key = ECKey.generate_key("P-256", private=True)
    claims = {"jti": "j1", "htm": "POST", "htu": f"{ISSUER}/oidc/token", "iat": int(time.time())}
    leaky = jwt.encode(
        {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=True)}, claims, key
    )
    code, verifier = _fapi_code(signed_in, fapi)
    assert exchange(signed_in, fapi, code, verifier, DPoP=leaky).json()["error"] == (
        "invalid_dpop_proof"
    )


def test_code_bound_to_a_dpop_key_needs_that_key(signed_in, session):
    from tests.identity.oidc_helpers import pkce

    fapi = register(session, "bank2", "private_key_jwt", fapi2=True)
    key = ECKey.generate_key("P-256", private=True)
    verifier, challenge = pkce()
    pushed = _par(signed_in, fapi, challenge, dpop_jkt=key.thumbprint()).json()
    page = signed_in.get(
        "/oidc/authorize",
        params={"client_id": fapi.client_id, "request_uri": pushed["request_uri"]},
        follow_redirects=False,
    )
    code = query(consent(signed_in, page).headers["location"])["code"]
    other = ECKey.generate_key("P-256", private=True)
    wrong = exchange(
        signed_in, fapi, code, verifier, DPoP=dpop_proof(other, "POST", f"{ISSUER}/oidc/token")
    )
    assert wrong.json()["error"] == "invalid_grant"


def test_consents_are_listed_for_the_account_page(signed_in, rp, account, session):
    from dancu.identity.oidc import authorize as oidc

    assert oidc.consents_of(session, account.id) == []
    _code(signed_in, rp)
    [given] = oidc.consents_of(session, account.id)
    assert (given.client_id, given.client_name, given.scopes) == (
        "rp-basic",
        "RP rp-basic",
        ["openid", "profile"],
    )
    oidc.revoke_consent(session, account.id, rp.client_id)
    assert oidc.consents_of(session, account.id) == []


def test_purge_keeps_live_tokens_and_drops_dead_ones(signed_in, rp, session):
    from dancu.identity.oidc import tokens as oidc_tokens

    code, verifier = _code(signed_in, rp)
    exchange(signed_in, rp, code, verifier)
    assert oidc_tokens.purge_expired(session, utcnow()) == 0
    later = utcnow() + timedelta(days=30)
    assert oidc_tokens.purge_expired(session, later) == 2  # the code and the token row
    assert session.scalars(select(OidcToken)).all() == []


def test_consent_page_cannot_be_framed(signed_in, rp):
    page, _ = authorize(signed_in, rp)
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_consent_without_the_csrf_token_is_refused(signed_in, rp, session):
    page, _ = authorize(signed_in, rp)
    import html
    import re

    fields = {
        k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)
    }
    fields.pop("csrf_token")
    forged = signed_in.post(
        "/oidc/authorize", data={**fields, "decision": "allow"}, follow_redirects=False
    )
    assert forged.status_code == 403 and "location" not in forged.headers


def test_client_credentials_token_has_no_userinfo(web, session):
    partner = register(
        session,
        "partner",
        "client_secret_basic",
        redirect_uris=[],
        grant_types=["client_credentials"],
        scopes=["registry.read"],
    )
    token = web.post(
        "/oidc/token",
        data={"grant_type": "client_credentials"},
        auth=(partner.client_id, partner.secret),
    ).json()["access_token"]
    assert (
        web.get("/oidc/userinfo", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )


# --- the ID-token signing key (read by the code claim, unsealed keys kept per process) ---


def _id_token_kid(web: TestClient, rp: RP) -> str:
    code, verifier = _code(web, rp)
    body = exchange(web, rp, code, verifier).json()
    return jwt.decode(body["id_token"], _jwks(web)).header["kid"]


def test_a_rotation_takes_effect_at_the_next_code_exchange(signed_in, rp, session):
    from dancu.identity.keys import service as keys

    old = _id_token_kid(signed_in, rp)  # this process now holds the old key unsealed
    new = keys.rotate(session, "oidc", grace=timedelta(hours=1))
    session.flush()
    assert new.kid != old
    assert _id_token_kid(signed_in, rp) == new.kid


def test_a_key_from_a_rolled_back_rotation_never_signs(signed_in, rp, session):
    from dancu.identity.keys import service as keys

    old = _id_token_kid(signed_in, rp)
    savepoint = session.begin_nested()
    ghost = keys.rotate(session, "oidc")
    assert keys.active_key(session, "oidc").kid == ghost.kid  # unsealed and remembered
    savepoint.rollback()
    assert _id_token_kid(signed_in, rp) == old != ghost.kid
