"""Passkeys with real WebAuthn responses from a software authenticator, checked by py_webauthn."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from webauthn.helpers import bytes_to_base64url

from dancu.common.errors import Forbidden, NotFound, ValidationFailed
from dancu.identity.accounts.models import Account, AccountEvent
from dancu.identity.auth import passkeys
from dancu.identity.auth.models import Passkey
from tests.identity.soft_authenticator import UP, SoftAuthenticator

RP = passkeys.RelyingParty(id="dancu.test", name="dancu", origin="https://dancu.test")
BINDING = "browser-session-1"


def make_account(session, pid: str = "066090000123") -> Account:  # type: ignore[no-untyped-def]
    account = Account(
        citizen_pid=pid,
        display_name="Nguyễn Văn An",
        level=2,
        status="active",
        province_code="66",
        commune_code="24121",
    )
    session.add(account)
    session.flush()
    return account


def register(session, account: Account, key: SoftAuthenticator | None = None, **kw):  # type: ignore[no-untyped-def]
    key = key or SoftAuthenticator(RP.id, RP.origin)
    options = passkeys.registration_options(
        session,
        account.id,
        user_name=account.citizen_pid,
        display_name=account.display_name,
        rp=RP,
        binding=BINDING,
    )
    out = passkeys.register(
        session, account.id, key.create(options, **kw), rp=RP, binding=BINDING, name="Khóa USB"
    )
    return key, out


def sign_in(session, key: SoftAuthenticator, account_id: int | None = None, **kw):  # type: ignore[no-untyped-def]
    options = passkeys.authentication_options(
        session, rp=RP, binding=BINDING, account_id=account_id
    )
    return passkeys.authenticate(
        session, key.get(options, **kw), rp=RP, binding=BINDING, account_id=account_id
    )


def test_register_then_sign_in_with_the_passkey(session):
    account = make_account(session)
    key, added = register(session, account)
    assert added.account_id == account.id and added.name == "Khóa USB"
    used = sign_in(session, key)  # discoverable: no account named beforehand
    assert used.id == added.id and used.account_id == account.id
    assert used.last_used_at is not None
    assert [p.id for p in passkeys.list_for(session, account.id)] == [added.id]
    kinds = session.scalars(
        select(AccountEvent.kind).where(AccountEvent.account_id == account.id)
    ).all()
    assert kinds == ["passkey_added"]


def test_registration_options_exclude_the_keys_held_and_carry_no_personal_data(session):
    account = make_account(session)
    key, _ = register(session, account)
    options = json.loads(
        passkeys.registration_options(
            session, account.id, user_name="x", display_name="x", rp=RP, binding=BINDING
        )
    )
    assert [c["id"] for c in options["excludeCredentials"]] == [
        bytes_to_base64url(key.credential_id)
    ]
    assert account.citizen_pid not in options["user"]["id"]
    assert options["authenticatorSelection"]["userVerification"] == "required"


def test_a_challenge_is_single_use(session):
    account = make_account(session)
    key, _ = register(session, account)
    options = passkeys.authentication_options(session, rp=RP, binding=BINDING)
    response = key.get(options)
    passkeys.authenticate(session, response, rp=RP, binding=BINDING)
    with pytest.raises(Forbidden) as refused:
        passkeys.authenticate(session, response, rp=RP, binding=BINDING)
    assert refused.value.code == "passkey.challenge"


def test_a_challenge_is_bound_to_the_session_that_asked_for_it(session):
    account = make_account(session)
    key, _ = register(session, account)
    options = passkeys.authentication_options(session, rp=RP, binding=BINDING)
    with pytest.raises(Forbidden) as refused:
        passkeys.authenticate(session, key.get(options), rp=RP, binding="another-browser")
    assert refused.value.code == "passkey.challenge"


def test_an_invented_challenge_is_refused(session):
    account = make_account(session)
    key, _ = register(session, account)
    forged = {"challenge": "aW52ZW50ZWQtY2hhbGxlbmdl", "rpId": RP.id}
    with pytest.raises(Forbidden) as refused:
        passkeys.authenticate(session, key.get(forged), rp=RP, binding=BINDING)
    assert refused.value.code == "passkey.challenge"


def test_a_sign_count_that_goes_backwards_is_refused(session):
    account = make_account(session)
    key, added = register(session, account)
    sign_in(session, key, count=5)
    with pytest.raises(Forbidden) as refused:
        sign_in(session, key, count=5)  # a clone that reports the same counter
    assert refused.value.code == "passkey.sign_count"
    with pytest.raises(Forbidden):
        sign_in(session, key, count=3)
    stored = session.get(Passkey, added.id)
    session.refresh(stored)
    assert stored.sign_count == 5
    assert sign_in(session, key, count=6).id == added.id


def test_a_counterless_passkey_may_keep_reporting_zero(session):
    account = make_account(session)
    key, added = register(session, account)
    assert sign_in(session, key, count=0).id == added.id
    assert sign_in(session, key, count=0).id == added.id


def test_a_response_for_another_origin_is_refused(session):
    account = make_account(session)
    key, _ = register(session, account)
    with pytest.raises(Forbidden) as refused:
        sign_in(session, key, origin="https://phishing.example")
    assert refused.value.code == "passkey.invalid"


def test_a_bad_signature_is_refused(session):
    account = make_account(session)
    key, _ = register(session, account)
    impostor = SoftAuthenticator(RP.id, RP.origin, credential_id=key.credential_id)
    with pytest.raises(Forbidden) as refused:
        sign_in(session, impostor)
    assert refused.value.code == "passkey.invalid"


def test_user_verification_is_required(session):
    account = make_account(session)
    key, _ = register(session, account)
    with pytest.raises(Forbidden) as refused:
        sign_in(session, key, flags=UP)
    assert refused.value.code == "passkey.invalid"
    other = make_account(session, pid="066090000124")
    with pytest.raises(Forbidden):
        register(session, other, flags=UP | 0x40)


def test_a_second_factor_must_be_a_passkey_of_that_account(session):
    alice = make_account(session)
    bob = make_account(session, pid="066090000124")
    alice_key, _ = register(session, alice)
    bob_key, _ = register(session, bob)
    options = passkeys.authentication_options(session, rp=RP, binding=BINDING, account_id=alice.id)
    assert len(json.loads(options)["allowCredentials"]) == 1
    with pytest.raises(Forbidden) as refused:
        passkeys.authenticate(
            session, bob_key.get(options), rp=RP, binding=BINDING, account_id=alice.id
        )
    assert refused.value.code == "passkey.invalid"
    assert sign_in(session, alice_key, account_id=alice.id).account_id == alice.id


def test_an_account_without_passkeys_gets_no_options(session):
    account = make_account(session)
    with pytest.raises(NotFound) as missing:
        passkeys.authentication_options(session, rp=RP, binding=BINDING, account_id=account.id)
    assert missing.value.code == "passkey.none"


def test_a_registration_challenge_belongs_to_its_account(session):
    alice = make_account(session)
    bob = make_account(session, pid="066090000124")
    options = passkeys.registration_options(
        session, alice.id, user_name="a", display_name="a", rp=RP, binding=BINDING
    )
    response = SoftAuthenticator(RP.id, RP.origin).create(options)
    with pytest.raises(Forbidden) as refused:
        passkeys.register(session, bob.id, response, rp=RP, binding=BINDING, name="x")
    assert refused.value.code == "passkey.invalid"


def test_the_same_credential_cannot_be_registered_twice(session):
    account = make_account(session)
    key, _ = register(session, account)
    with pytest.raises(ValidationFailed) as twice:
        register(session, account, key)
    assert twice.value.code == "passkey.duplicate"


def test_a_passkey_needs_a_name(session):
    account = make_account(session)
    options = passkeys.registration_options(
        session, account.id, user_name="a", display_name="a", rp=RP, binding=BINDING
    )
    response = SoftAuthenticator(RP.id, RP.origin).create(options)
    with pytest.raises(ValidationFailed) as bad:
        passkeys.register(session, account.id, response, rp=RP, binding=BINDING, name="  ")
    assert (bad.value.code, bad.value.field) == ("passkey.name", "name")


def test_remove_a_passkey_then_it_no_longer_signs_in(session):
    account = make_account(session)
    key, added = register(session, account)
    other = make_account(session, pid="066090000124")
    with pytest.raises(NotFound):
        passkeys.remove(session, other.id, added.id)  # not theirs
    passkeys.remove(session, account.id, added.id)
    assert passkeys.list_for(session, account.id) == []
    assert not passkeys.has_passkey(session, account.id)
    with pytest.raises(Forbidden) as refused:
        sign_in(session, key)
    assert refused.value.code == "passkey.unknown"
    with pytest.raises(NotFound):
        passkeys.remove(session, account.id, added.id)  # already gone


def test_a_user_handle_of_another_account_is_refused(session):
    alice = make_account(session)
    key, _ = register(session, alice)
    key.user_handle = passkeys.user_handle(alice.id + 1)
    with pytest.raises(Forbidden) as refused:
        sign_in(session, key)
    assert refused.value.code == "passkey.invalid"


def test_expired_challenges_are_purged(session):
    from datetime import timedelta

    from dancu.db import utcnow
    from dancu.identity.auth.models import PasskeyChallenge

    account = make_account(session)
    passkeys.authentication_options(session, rp=RP, binding=BINDING)
    register(session, account)  # its challenge is used, not yet expired
    count = select(func.count()).select_from(PasskeyChallenge)
    assert session.scalar(count) == 2
    assert passkeys.purge_challenges(session) == 0
    later = utcnow() + timedelta(seconds=passkeys.CHALLENGE_SECONDS + 1)
    assert passkeys.purge_challenges(session, now=later) == 2
    assert session.scalar(count) == 0
