"""TOTP secrets are sealed at rest (identity/sealing.py), and migration 0007 seals old ones."""

from __future__ import annotations

import logging

import pyotp
import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dancu.cli import alembic_config
from dancu.db import make_engine, utcnow
from dancu.identity.accounts.models import Account
from dancu.identity.auth import signin, totp
from dancu.identity.keys import sealing
from tests.identity import helpers


def _stored(session: Session, account_id: int) -> str | None:
    session.flush()
    return session.scalar(select(Account.totp_secret).where(Account.id == account_id))


def test_the_stored_value_is_not_the_secret(session):
    account = helpers.active_account(session, helpers.citizen(session))
    uri = totp.begin_enrolment(session, account)
    secret = totp.secret_of(account)
    assert secret is not None and len(secret) == 32
    stored = _stored(session, account.id)
    assert stored is not None and secret not in stored and stored != secret
    assert len(stored) <= 64  # fits the column as it was
    assert f"secret={secret}" in uri  # the holder's app still gets the secret, once
    assert totp.confirm_enrolment(session, account, totp.current_code(account)) is None


def test_a_sealed_secret_copied_to_another_account_does_not_open(session):
    first = helpers.active_account(session, helpers.citizen(session))
    second = helpers.active_account(session, helpers.citizen(session, "Võ Văn Hai"))
    totp.begin_enrolment(session, first)
    second.totp_secret = first.totp_secret  # an attacker with write access swaps rows
    second.totp_confirmed_at = utcnow()
    with pytest.raises(sealing.SealBroken):
        totp.secret_of(second)
    refusal = totp.check(session, second, totp.current_code(first))  # the right code too
    assert refusal is not None and refusal.code == "identity.totp_unreadable"


def test_a_secret_sealed_under_another_key_is_a_clear_refusal(session, caplog):
    account = helpers.active_account(session, helpers.citizen(session))
    secret = pyotp.random_base32()
    session.flush()
    account.totp_secret = totp.seal_secret(account.id, secret, secret_key="another-" * 6)
    account.totp_confirmed_at = utcnow()
    session.flush()
    with caplog.at_level(logging.ERROR, logger="dancu.identity.auth.totp"):
        refusal = totp.check(session, account, pyotp.TOTP(secret).now())
    assert refusal is not None
    assert (refusal.code, refusal.field) == ("identity.totp_unreadable", "code")
    assert refusal.to_dict()["code"] == "identity.totp_unreadable"
    assert any(f"account {account.id}" in r.getMessage() for r in caplog.records)
    assert signin.check_second_factor(session, account, "totp", "000000") is not None


def test_another_secret_key_cannot_open_it():
    sealed = totp.seal_secret(7, pyotp.random_base32(), secret_key="k" * 40)
    with pytest.raises(sealing.SealBroken):
        totp.unseal_secret(7, sealed, secret_key="other" * 10)
    with pytest.raises(sealing.SealBroken):
        totp.unseal_secret(7, sealed[:-4] + "AAAA", secret_key="k" * 40)  # altered bytes


def test_signing_keys_and_totp_secrets_use_different_keys():
    sealed = sealing.seal(b"x" * 20, info=b"dancu signing-key store v1", associated=b"account:1")
    with pytest.raises(sealing.SealBroken):
        totp.unseal_secret(1, sealed)


@pytest.mark.xdist_group("migrations")
def test_migration_0007_seals_plaintext_secrets_and_downgrade_opens_them(blank_url):
    config = alembic_config(blank_url)
    command.upgrade(config, "0006")
    engine = make_engine(blank_url)
    secret = pyotp.random_base32()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (citizen_pid, kind, display_name, level, status,"
                " province_code, commune_code, totp_secret, created_at)"
                " VALUES ('066090012345', 'citizen', 'Old TOTP', 1, 'active', '66', '24121',"
                " :secret, :now)"
            ),
            {"secret": secret, "now": utcnow()},
        )
        account_id = conn.execute(text("SELECT id FROM account")).scalar_one()
    command.upgrade(config, "0007")
    with Session(engine) as session:
        account = session.get(Account, account_id)
        assert account is not None and account.totp_secret != secret
        assert totp.secret_of(account) == secret
        code = pyotp.TOTP(secret).now()
        assert totp.current_code(account) == code
    command.downgrade(config, "0006")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT totp_secret FROM account")).scalar_one()
    assert back == secret
    engine.dispose()
