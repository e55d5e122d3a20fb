"""DANCU_PUBLIC_URL pins the issuer: a forged Host header changes nothing the provider says."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from dancu.settings import Settings, get_settings
from dancu.web.public_url import PublicUrlMissing
from tests.identity.oidc_helpers import dpop_proof, exchange
from tests.identity.oidc_setup import Browser, authorized, code_flow, signed_in_browser

PINNED = "https://id.example.vn"
FORGED = {"Host": "evil.example"}


def _pinned(app) -> None:  # type: ignore[no-untyped-def]
    app.state.settings = get_settings().model_copy(update={"public_url": PINNED})


def _urls(meta: dict) -> list[str]:  # type: ignore[type-arg]
    return [v for k, v in meta.items() if k == "issuer" or k.endswith(("_endpoint", "_uri"))]


def test_without_the_setting_the_host_header_is_the_issuer(app, session):
    """The weakness the setting removes (development keeps this behaviour)."""
    browser = signed_in_browser(app, session, **FORGED)
    meta = browser.web.get("/.well-known/openid-configuration").json()
    assert meta["issuer"] == "http://evil.example"
    params, tokens = code_flow(browser)
    assert params["iss"] == "http://evil.example"
    claims = jwt.decode(tokens["id_token"], _jwks(browser)).claims
    assert claims["iss"] == "http://evil.example"


def test_pinned_issuer_in_discovery_despite_a_forged_host(app, session):
    _pinned(app)
    browser = signed_in_browser(app, session, **FORGED)
    meta = browser.web.get("/.well-known/openid-configuration").json()
    assert meta["issuer"] == PINNED
    urls = _urls(meta)
    assert len(urls) >= 8 and all(u == PINNED or u.startswith(PINNED + "/oidc/") for u in urls)


def test_pinned_issuer_in_the_authorization_response_id_token_and_introspection(app, session):
    _pinned(app)
    browser = signed_in_browser(app, session, **FORGED)
    params, tokens = code_flow(browser)
    assert params["iss"] == PINNED
    claims = jwt.decode(tokens["id_token"], _jwks(browser)).claims
    assert claims["iss"] == PINNED and claims["aud"] == browser.rp.client_id
    seen = browser.web.post(
        "/oidc/introspect",
        data={"token": tokens["access_token"]},
        auth=(browser.rp.client_id, browser.rp.secret or ""),
    ).json()
    assert seen["active"] is True and seen["iss"] == PINNED


def test_dpop_proofs_name_the_public_url_not_the_one_the_app_sees(app, session):
    _pinned(app)
    browser = signed_in_browser(app, session)
    key = ECKey.generate_key("P-256", private=True)
    for htu, accepted in (("http://testserver/oidc/token", False), (f"{PINNED}/oidc/token", True)):
        params, verifier = authorized(browser)
        answer = exchange(
            browser.web, browser.rp, params["code"], verifier, DPoP=dpop_proof(key, "POST", htu)
        )
        assert (answer.status_code == 200) is accepted, answer.text
        if accepted:
            assert answer.json()["token_type"] == "DPoP"
        else:
            assert answer.json()["error"] == "invalid_dpop_proof"


def test_production_without_the_setting_refuses_rather_than_trust_the_host(app):
    app.state.settings = get_settings().model_copy(update={"env": "production"})
    with pytest.raises(PublicUrlMissing, match="DANCU_PUBLIC_URL"):
        TestClient(app).get("/.well-known/openid-configuration", headers=FORGED)
    _pinned(app)
    app.state.settings = app.state.settings.model_copy(update={"env": "production"})
    meta = TestClient(app).get("/.well-known/openid-configuration", headers=FORGED).json()
    assert meta["issuer"] == PINNED


@pytest.mark.parametrize("value", ["id.example.vn", "ftp://id.example.vn", "https://x/?a=1"])
def test_the_setting_must_be_an_absolute_http_url(value):
    with pytest.raises(ValueError, match="DANCU_PUBLIC_URL"):
        Settings(_env_file=None, public_url=value)  # type: ignore[call-arg]


def test_the_setting_drops_a_trailing_slash():
    assert Settings(_env_file=None, public_url=PINNED + "/").public_url == PINNED  # type: ignore[call-arg]


def _jwks(browser: Browser) -> KeySet:
    return KeySet.import_key_set(browser.web.get("/oidc/jwks").json())
