"""identity: wallet credentials and their status lists

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wallet_status_list",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_status_list"),
    )
    op.create_table(
        "wallet_credential",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("credential_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("citizen_pid", sa.String(length=12), nullable=False),
        sa.Column("doc_type", sa.String(length=40), nullable=False),
        sa.Column("vct", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("issuer_kid", sa.String(length=100), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_list_id", sa.String(length=40), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=200), nullable=True),
        sa.Column("revoked_by", sa.String(length=80), nullable=True),
        sa.Column("sd_jwt", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_wallet_credential_account_id_account"
        ),
        sa.ForeignKeyConstraint(
            ["status_list_id"],
            ["wallet_status_list.id"],
            name="fk_wallet_credential_status_list_id_wallet_status_list",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_credential"),
        sa.UniqueConstraint("credential_id", name="uq_wallet_credential_credential_id"),
        sa.UniqueConstraint(
            "status_list_id", "status_index", name="uq_wallet_credential_status_list_id"
        ),
    )
    op.create_index(
        "ix_wallet_credential_account_id", "wallet_credential", ["account_id"], unique=False
    )
    op.create_index(
        "ix_wallet_credential_citizen_pid", "wallet_credential", ["citizen_pid"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_wallet_credential_citizen_pid", table_name="wallet_credential")
    op.drop_index("ix_wallet_credential_account_id", table_name="wallet_credential")
    op.drop_table("wallet_credential")
    op.drop_table("wallet_status_list")
