"""SD-JWT mechanics (RFC 9901): disclosures, selective presentation, key binding, status."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from joserfc.jwk import ECKey, KeySet

from dancu.identity.wallet import sd_jwt as credentials
from dancu.identity.wallet import status_list as wallet_status
from dancu.identity.wallet.sd_jwt import CredentialInvalid

NOW = 1_800_000_000
CLAIMS = {
    "iss": "https://issuer.example",
    "iat": NOW - 10,
    "exp": NOW + 3600,
    "vct": "urn:test:vct:1",
    "full_name": "Trần Thị Bình",
    "birth_date": "1985-02-01",
    "insurance_number": "0123456789",
}
DISCLOSABLE = {"full_name", "birth_date", "insurance_number"}


@pytest.fixture(scope="module")
def key():
    return ECKey.generate_key("P-256", private=True, auto_kid=True)


@pytest.fixture(scope="module")
def keyset(key):
    return KeySet.import_key_set({"keys": [key.as_dict(private=False)]})


@pytest.fixture(scope="module")
def sd_jwt(key):
    return credentials.issue(CLAIMS, DISCLOSABLE, key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _payload(jwt: str) -> dict:
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_hidden_claims_are_digests_and_the_full_credential_verifies(sd_jwt, keyset):
    jwt, disclosures, kb = credentials.split(sd_jwt)
    payload = _payload(jwt)
    assert not DISCLOSABLE & set(payload)  # nothing personal in the signed JWT
    assert payload["_sd_alg"] == "sha-256"
    assert len(payload["_sd"]) == 3 + 2  # three claims and two decoys
    assert (len(disclosures), kb) == (3, "")
    for d in disclosures:  # RFC 9901: digest = base64url(sha256(ascii(disclosure)))
        assert _b64(hashlib.sha256(d.encode()).digest()) in payload["_sd"]
    result = credentials.verify(sd_jwt, keyset, now=NOW, issuer="https://issuer.example")
    assert result.disclosed == {k: CLAIMS[k] for k in DISCLOSABLE}
    assert result.claims["vct"] == "urn:test:vct:1"


def test_the_holder_discloses_only_what_it_chooses(sd_jwt, keyset):
    shown = credentials.present(sd_jwt, {"birth_date"})
    result = credentials.verify(shown, keyset, now=NOW)
    assert result.disclosed == {"birth_date": "1985-02-01"}
    assert "Trần" not in shown and "0123456789" not in shown
    nothing = credentials.verify(credentials.present(sd_jwt, set()), keyset, now=NOW)
    assert nothing.disclosed == {}


def test_salts_differ_between_issuances(key):
    a = credentials.split(credentials.issue(CLAIMS, DISCLOSABLE, key))[1]
    b = credentials.split(credentials.issue(CLAIMS, DISCLOSABLE, key))[1]
    assert not set(a) & set(b)


def test_tampered_payload_fails(sd_jwt, keyset):
    jwt, disclosures, _ = credentials.split(sd_jwt)
    header, _body, signature = jwt.split(".")
    payload = _payload(jwt)
    payload["exp"] = NOW + 10 * 365 * 86400
    forged = ".".join([header, _b64(json.dumps(payload).encode()), signature])
    with pytest.raises(CredentialInvalid) as err:
        credentials.verify("~".join([forged, *disclosures]) + "~", keyset, now=NOW)
    assert err.value.code == "wallet.signature"


def test_altered_disclosure_fails(sd_jwt, keyset):
    jwt, disclosures, _ = credentials.split(sd_jwt)
    salt, name, _value = json.loads(base64.urlsafe_b64decode(disclosures[0] + "=="))
    altered = _b64(json.dumps([salt, name, "Lê Văn Giả"]).encode())
    with pytest.raises(CredentialInvalid) as err:
        credentials.verify(f"{jwt}~{altered}~", keyset, now=NOW)
    assert err.value.code == "wallet.disclosure"


def test_made_up_or_repeated_disclosures_fail(sd_jwt, keyset):
    jwt, disclosures, _ = credentials.split(sd_jwt)
    made_up = credentials.make_disclosure("has_criminal_record", False)
    for bad in (f"{jwt}~{made_up}~", f"{jwt}~{disclosures[0]}~{disclosures[0]}~", f"{jwt}~@@~"):
        with pytest.raises(CredentialInvalid) as err:
            credentials.verify(bad, keyset, now=NOW)
        assert err.value.code == "wallet.disclosure"


def test_expired_and_not_yet_valid_fail(sd_jwt, keyset):
    with pytest.raises(CredentialInvalid) as err:
        credentials.verify(sd_jwt, keyset, now=NOW + 3600 + 61)
    assert err.value.code == "wallet.expired"
    with pytest.raises(CredentialInvalid) as err:
        credentials.verify(sd_jwt, keyset, now=NOW - 3600)
    assert err.value.code == "wallet.not_yet_valid"


def test_unknown_key_and_wrong_issuer_fail(sd_jwt, keyset):
    other = ECKey.generate_key("P-256", private=True, auto_kid=True)
    stranger = credentials.issue(CLAIMS, DISCLOSABLE, other)
    with pytest.raises(CredentialInvalid) as err:
        credentials.verify(stranger, keyset, now=NOW)
    assert err.value.code == "wallet.unknown_key"
    with pytest.raises(CredentialInvalid) as err:
        credentials.verify(sd_jwt, keyset, now=NOW, issuer="https://elsewhere.example")
    assert err.value.code == "wallet.issuer"


@pytest.mark.parametrize("text", ["", "abc", "a.b~", "a.b.c~", "x~y~z"])
def test_garbage_is_refused(text, keyset):
    with pytest.raises(CredentialInvalid) as err:
        credentials.verify(text, keyset, now=NOW)
    assert err.value.code == "wallet.format"


def test_always_visible_claims_cannot_be_made_disclosable(key):
    with pytest.raises(ValueError):
        credentials.issue(CLAIMS, {"exp"}, key)


def test_key_binding_proves_the_holder(key, keyset):
    holder = ECKey.generate_key("P-256", private=True)
    bound = credentials.issue(
        {**CLAIMS, "cnf": {"jwk": holder.as_dict(private=False)}}, DISCLOSABLE, key
    )
    shown = credentials.present(bound, {"full_name"})
    kb = credentials.bind(shown, holder, audience="https://verifier", nonce="n-1", now=NOW)
    ok = credentials.verify(kb, keyset, now=NOW, audience="https://verifier", nonce="n-1")
    assert ok.key_bound and ok.disclosed == {"full_name": "Trần Thị Bình"}
    # Replayed to another verifier, with another nonce, or signed by someone else: refused.
    thief = ECKey.generate_key("P-256", private=True)
    stolen = credentials.bind(shown, thief, audience="https://verifier", nonce="n-1", now=NOW)
    for presentation, aud, nonce in (
        (kb, "https://other", "n-1"),
        (kb, "https://verifier", "n-2"),
        (stolen, "https://verifier", "n-1"),
        (shown, "https://verifier", "n-1"),  # binding demanded, none given
    ):
        with pytest.raises(CredentialInvalid) as err:
            credentials.verify(presentation, keyset, now=NOW, audience=aud, nonce=nonce)
        assert err.value.code == "wallet.key_binding"
    # Disclosures swapped after binding break the sd_hash.
    extra = credentials.split(bound)[1]
    jwt = credentials.split(kb)[0]
    swapped = "~".join([jwt, *extra]) + "~" + kb.rsplit("~", 1)[1]
    with pytest.raises(CredentialInvalid) as err:
        credentials.verify(swapped, keyset, now=NOW, audience="https://verifier", nonce="n-1")
    assert err.value.code == "wallet.key_binding"


def test_status_list_bits_follow_the_draft(key, keyset):
    # draft-ietf-oauth-status-list section 4.1 example: indexes 0,3,4,5,7,8 of 16 revoked.
    lst = wallet_status.encode(16, [0, 3, 4, 5, 7, 8])
    raw = __import__("zlib").decompress(base64.urlsafe_b64decode(lst + "=="))
    assert raw == bytes([0xB9, 0x01])
    assert [wallet_status.status_at(lst, i) for i in range(10)] == [1, 0, 0, 1, 1, 1, 0, 1, 1, 0]
    token = wallet_status.token(key, uri="https://i/s/1", size=16, revoked=[3], now=NOW)
    assert wallet_status.check(token, keyset, uri="https://i/s/1", index=3, now=NOW) == 1
    assert wallet_status.check(token, keyset, uri="https://i/s/1", index=2, now=NOW) == 0
    for uri, index, now in (
        ("https://i/s/2", 3, NOW),
        ("https://i/s/1", 99, NOW),
        ("https://i/s/1", 3, NOW + 3600),
    ):
        with pytest.raises(CredentialInvalid) as err:
            wallet_status.check(token, keyset, uri=uri, index=index, now=now)
        assert err.value.code == "wallet.status"
