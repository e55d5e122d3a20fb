"""wallet: short presentation links (wallet_presentation_link)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 14:32:35

The wallet's QR code holds a short link to a presentation kept here a few minutes (only
the token's SHA-256 is stored); see docs/adr/0009-short-presentation-links.md.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wallet_presentation_link",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("credential_id", sa.String(length=40), nullable=False),
        sa.Column("citizen_pid", sa.String(length=12), nullable=False),
        sa.Column("presentation", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_wallet_presentation_link_account_id_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_presentation_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_wallet_presentation_link_token_hash")),
    )
    with op.batch_alter_table("wallet_presentation_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wallet_presentation_link_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_wallet_presentation_link_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("wallet_presentation_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_presentation_link_expires_at"))
        batch_op.drop_index(batch_op.f("ix_wallet_presentation_link_account_id"))

    op.drop_table("wallet_presentation_link")
