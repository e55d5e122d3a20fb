"""procedures: fee payments and the national portal's bookkeeping

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 14:06:58

procedure_fee_payment: each gateway confirmation once (unique per gateway transaction).
npsp_inbound: the portal's dossier ids, claimed once (a dossier sent twice is one dossier).
npsp_delivery: status changes to publish to the portal, retried until delivered.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "procedure_fee_payment",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("gateway", sa.String(length=40), nullable=False),
        sa.Column("transaction_id", sa.String(length=80), nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", _TIME, nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_fee_payment")),
        sa.UniqueConstraint("gateway", "transaction_id", name="uq_procedure_fee_payment_txn"),
    )
    op.create_index("ix_procedure_fee_payment_dossier", "procedure_fee_payment", ["dossier_code"])
    op.create_table(
        "npsp_inbound",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("portal_dossier_id", sa.String(length=64), nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=True),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_npsp_inbound")),
        sa.UniqueConstraint("portal_dossier_id", name=op.f("uq_npsp_inbound_portal_dossier_id")),
    )
    op.create_index(op.f("ix_npsp_inbound_dossier_code"), "npsp_inbound", ["dossier_code"])
    op.create_table(
        "npsp_delivery",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("event_key", sa.String(length=120), nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("delivered_at", _TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_npsp_delivery")),
        sa.UniqueConstraint("event_key", name=op.f("uq_npsp_delivery_event_key")),
    )
    op.create_index(op.f("ix_npsp_delivery_dossier_code"), "npsp_delivery", ["dossier_code"])
    op.create_index(
        "ix_npsp_delivery_pending", "npsp_delivery", ["delivered_at", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_table("npsp_delivery")
    op.drop_table("npsp_inbound")
    op.drop_table("procedure_fee_payment")
