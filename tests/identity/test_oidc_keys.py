"""The signing-key store: created on first use, sealed at rest, rotation with a grace."""

from __future__ import annotations

from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError
from joserfc.jwk import KeySet
from sqlalchemy import select

from dancu.db import utcnow
from dancu.identity.keys import service as keys
from dancu.identity.keys.models import SigningKey


def _sign(key, claims: dict) -> str:
    return jwt.encode({"alg": key.alg or "ES256", "kid": key.kid}, claims, key)


def test_first_use_creates_one_key_and_reuses_it(session):
    first = keys.active_key(session, "oidc")
    again = keys.active_key(session, "oidc")
    assert first.kid == again.kid
    rows = session.scalars(select(SigningKey).where(SigningKey.purpose == "oidc")).all()
    assert [r.kid for r in rows] == [first.kid]
    assert rows[0].alg == "ES256"


def test_private_key_is_not_stored_in_the_clear(session):
    key = keys.active_key(session, "oidc")
    row = session.get(SigningKey, key.kid)
    pem = key.as_pem(private=True).decode()
    assert "PRIVATE KEY" not in row.private_key
    assert pem not in row.private_key
    assert "d" not in row.public_jwk  # the published half only


def test_purposes_have_separate_keys(session):
    assert keys.active_key(session, "oidc").kid != keys.active_key(session, "wallet").kid
    published = {k["kid"] for k in keys.jwks(session, "oidc")["keys"]}
    assert keys.active_key(session, "wallet").kid not in published


def test_rotation_keeps_old_tokens_verifiable_until_retirement(session):
    old = keys.active_key(session, "oidc")
    token = _sign(old, {"sub": "x"})
    new = keys.rotate(session, "oidc", grace=timedelta(hours=1))
    assert new.kid != old.kid
    assert keys.active_key(session, "oidc").kid == new.kid
    kids = [k["kid"] for k in keys.jwks(session, "oidc")["keys"]]
    assert kids == [new.kid, old.kid]
    assert jwt.decode(token, keys.verification_keys(session, "oidc")).claims == {"sub": "x"}
    later = utcnow() + timedelta(hours=2)
    assert [k["kid"] for k in keys.jwks(session, "oidc", now=later)["keys"]] == [new.kid]
    with pytest.raises(InvalidKeyIdError):
        jwt.decode(token, keys.verification_keys(session, "oidc", now=later))


def test_a_token_signed_by_another_key_with_the_same_kid_fails(session):
    real = keys.active_key(session, "oidc")
    forged_key = type(real).generate_key("P-256", parameters={"kid": real.kid}, private=True)
    token = jwt.encode({"alg": "ES256", "kid": real.kid}, {"sub": "x"}, forged_key)
    with pytest.raises(BadSignatureError):
        jwt.decode(token, keys.verification_keys(session, "oidc"))


def test_rs256_is_available(session):
    key = keys.rotate(session, "partner", alg="RS256")
    token = _sign(key, {"sub": "y"})
    published = keys.jwks(session, "partner")["keys"]
    assert published[0]["kty"] == "RSA" and published[0]["alg"] == "RS256"
    assert jwt.decode(token, KeySet.import_key_set(keys.jwks(session, "partner"))).claims["sub"]


def test_unknown_algorithm_is_refused(session):
    from dancu.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        keys.rotate(session, "oidc", alg="HS256")  # type: ignore[arg-type]
    assert err.value.code == "keys.alg"
