"""API bearer tokens: partner bindings of clients; TOTP secrets sealed at rest

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 15:50:00

Run it with the server's ``DANCU_SECRET_KEY``: the TOTP secrets are sealed (and, on
downgrade, opened) with a key derived from it. Before changing anything it refuses a key
the app refuses (production settings with the development key or a short one) and a key
that does not open the signing keys already sealed in this database (``_secret_key``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pydantic import ValidationError

from dancu.identity.auth import totp
from dancu.identity.keys import sealing
from dancu.settings import get_settings

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCOUNTS = sa.table(
    "account", sa.column("id", sa.BigInteger()), sa.column("totp_secret", sa.String(64))
)
_SIGNING_KEYS = sa.table(
    "signing_key", sa.column("kid", sa.String(64)), sa.column("private_key", sa.Text())
)
_SIGNING_KEY_INFO = b"dancu signing-key store v1"  # identity/keys/service.py, as of 0006
_REFUSED = (
    "Migration 0007 seals (or, downgrading, opens) the TOTP secrets with DANCU_SECRET_KEY"
    " and must run with the servers' own key; nothing was changed. "
)


def upgrade() -> None:
    key = _secret_key()  # before any change
    op.create_table(
        "oidc_client_partner",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["oidc_client.client_id"], ondelete="CASCADE",
            name=op.f("fk_oidc_client_partner_client_id_oidc_client"),
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_oidc_client_partner")),
    )
    _convert_totp(totp.seal_secret, key)


def downgrade() -> None:
    _convert_totp(totp.unseal_secret, _secret_key())
    op.drop_table("oidc_client_partner")


def _secret_key() -> str:
    """The servers' key, or a RuntimeError saying why this one is refused: settings the app
    refuses (production with the development key or a short one), or a key that does not
    open the signing keys already sealed here (the shell lacks the servers' settings)."""
    try:
        key = get_settings().secret_key
    except ValidationError as exc:
        reasons = "; ".join(str(error["msg"]) for error in exc.errors())
        raise RuntimeError(_REFUSED + f"The settings are refused: {reasons}") from exc
    sealed = op.get_bind().execute(sa.select(_SIGNING_KEYS).limit(1)).first()
    if sealed is not None:
        try:
            associated = sealed.kid.encode()
            sealing.unseal(
                sealed.private_key, info=_SIGNING_KEY_INFO, associated=associated, secret_key=key
            )
        except sealing.SealBroken as exc:
            raise RuntimeError(
                _REFUSED + "This DANCU_SECRET_KEY does not open the signing keys this"
                " database already holds: set the servers' DANCU_SECRET_KEY (and DANCU_ENV)."
            ) from exc
    return key


def _convert_totp(change, key: str) -> None:  # type: ignore[no-untyped-def]
    """Rewrite every stored TOTP secret with ``change(account_id, value, secret_key=key)``."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_ACCOUNTS.c.id, _ACCOUNTS.c.totp_secret).where(
            _ACCOUNTS.c.totp_secret.is_not(None)
        )
    ).all()
    for account_id, value in rows:
        conn.execute(
            _ACCOUNTS.update()
            .where(_ACCOUNTS.c.id == account_id)
            .values(totp_secret=change(account_id, value, secret_key=key))
        )
