"""API bearer tokens: partner bindings of clients; TOTP secrets sealed at rest

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 15:50:00

Run it with the server's ``DANCU_SECRET_KEY``: the TOTP secrets are sealed (and, on
downgrade, opened) with a key derived from it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dancu.identity.auth import totp

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCOUNTS = sa.table(
    "account", sa.column("id", sa.BigInteger()), sa.column("totp_secret", sa.String(64))
)


def upgrade() -> None:
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
    _convert_totp(totp.seal_secret)


def downgrade() -> None:
    _convert_totp(totp.unseal_secret)
    op.drop_table("oidc_client_partner")


def _convert_totp(change) -> None:  # type: ignore[no-untyped-def]
    """Rewrite every stored TOTP secret with ``change(account_id, value)``."""
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
            .values(totp_secret=change(account_id, value))
        )
