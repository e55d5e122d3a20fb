"""Migration 0007 seals TOTP secrets only with a secret key the servers can use.

It refuses, before changing anything and with a message naming itself and
``DANCU_SECRET_KEY``, the key the production settings refuse (the development key, a short
one), and a key that does not open the signing keys this database already sealed (the
usual mistake: migrating the production database from a shell without its settings).
"""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
from alembic import command
from sqlalchemy import Engine, text

from dancu.cli import alembic_config
from dancu.db import make_engine, utcnow
from dancu.identity.auth import totp
from dancu.identity.keys import sealing
from dancu.settings import DEV_SECRET, get_settings

pytestmark = pytest.mark.xdist_group("migrations")

SERVER_KEY = "the-production-servers-own-secret-key-0123456789"
SECRET = pyotp.random_base32()


@pytest.fixture
def at_0006(blank_url: str) -> Iterator[Engine]:
    """A database at 0006 holding a TOTP secret in clear and a signing key sealed with the
    servers' key."""
    command.upgrade(alembic_config(blank_url), "0006")
    engine = make_engine(blank_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (citizen_pid, kind, display_name, level, status,"
                " province_code, commune_code, totp_secret, created_at)"
                " VALUES ('066090012345', 'citizen', 'Old TOTP', 1, 'active', '66', '24121',"
                " :secret, :now)"
            ),
            {"secret": SECRET, "now": utcnow()},
        )
        sealed = sealing.seal(
            b"a PEM", info=b"dancu signing-key store v1", associated=b"k1", secret_key=SERVER_KEY
        )
        conn.execute(
            text(
                "INSERT INTO signing_key (kid, purpose, alg, private_key, public_jwk, created_at,"
                " activated_at) VALUES ('k1', 'oidc', 'ES256', :sealed, '{}', :now, :now)"
            ),
            {"sealed": sealed, "now": utcnow()},
        )
    yield engine
    engine.dispose()


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The DANCU_ variables the migration's process sees (a fresh settings cache)."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def _production(env: pytest.MonkeyPatch, key: str) -> None:
    env.setenv("DANCU_ENV", "production")
    env.setenv("DANCU_SECRET_KEY", key)
    env.setenv("DANCU_DEV_LOGIN", "false")
    env.setenv("DANCU_PUBLIC_URL", "https://dichvucong.example.gov.vn")
    get_settings.cache_clear()


def _upgrade_0007(engine: Engine) -> None:
    """Run 0007 on a connection the caller hands to Alembic (as a deployment tool may)."""
    with engine.begin() as conn:
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = conn
        command.upgrade(config, "0007")


def _stored_secret(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT totp_secret FROM account")).scalar_one()


def _revision(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


@pytest.mark.parametrize("key", [DEV_SECRET, "short-but-not-the-dev-key"], ids=["dev", "short"])
def test_production_settings_with_a_refused_key_stop_the_migration(at_0006, environment, key):
    _production(environment, key)
    with pytest.raises(RuntimeError, match=r"(?s)0007.*DANCU_SECRET_KEY"):
        _upgrade_0007(at_0006)
    assert _stored_secret(at_0006) == SECRET and _revision(at_0006) == "0006"


def test_it_refuses_even_with_nothing_to_seal(at_0006, environment):
    with at_0006.begin() as conn:
        conn.execute(text("UPDATE account SET totp_secret = NULL"))
    _production(environment, DEV_SECRET)
    with pytest.raises(RuntimeError, match=r"(?s)0007.*DANCU_SECRET_KEY"):
        _upgrade_0007(at_0006)
    assert _revision(at_0006) == "0006"


def test_a_key_that_does_not_open_the_stored_signing_keys_stops_it(at_0006, environment):
    environment.delenv("DANCU_ENV", raising=False)  # a shell without the servers' settings
    environment.setenv("DANCU_SECRET_KEY", DEV_SECRET)
    get_settings.cache_clear()
    with pytest.raises(RuntimeError, match=r"(?s)0007.*DANCU_SECRET_KEY.*signing keys"):
        _upgrade_0007(at_0006)
    assert _stored_secret(at_0006) == SECRET and _revision(at_0006) == "0006"


def test_the_servers_key_seals_the_secrets(at_0006, environment):
    _production(environment, SERVER_KEY)
    _upgrade_0007(at_0006)
    stored = _stored_secret(at_0006)
    assert stored != SECRET and _revision(at_0006) == "0007"
    with at_0006.connect() as conn:
        account_id = conn.execute(text("SELECT id FROM account")).scalar_one()
    assert totp.unseal_secret(account_id, stored, secret_key=SERVER_KEY) == SECRET
