"""payment recovery ledger: an overpayment is a record that moves flagged -> notified ->
recovered or waived, with its amount, reason, and who moved it when

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 18:10:00

Until now a payment made for a month after the beneficiary's death carried only a flag
(``payment_instruction.recovery``). ``payment_recovery`` keeps one row per such payment
(unique per instruction); the flag stays as a mirror of its status. Rows for payments
already flagged are made from them (flagged or recovered, by ``system``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

BACKFILL = """
INSERT INTO payment_recovery (instruction_id, pid, province_code, commune_code, month, amount,
    reason, status, flagged_by, flagged_at, closed_by, closed_at, note)
SELECT i.id, i.pid, c.province_code, i.commune_code, i.month, i.amount,
    COALESCE(i.recovery_reason, ''),
    CASE WHEN i.recovery = 'recovered' THEN 'recovered' ELSE 'flagged' END,
    'system', i.created_at,
    CASE WHEN i.recovery = 'recovered' THEN 'system' END,
    CASE WHEN i.recovery = 'recovered' THEN i.created_at END,
    ''
FROM payment_instruction i JOIN payment_cycle c ON c.id = i.cycle_id
WHERE i.recovery IS NOT NULL
"""


def upgrade() -> None:
    op.create_table(
        "payment_recovery",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("instruction_id", _ID, nullable=False),
        sa.Column("pid", sa.String(length=12), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("flagged_by", sa.String(length=80), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_by", sa.String(length=80), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=80), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "status IN ('flagged', 'notified', 'recovered', 'waived')",
            name=op.f("ck_payment_recovery_status"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_recovery_amount_positive")),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["payment_instruction.id"],
            name=op.f("fk_payment_recovery_instruction_id_payment_instruction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_recovery")),
        sa.UniqueConstraint("instruction_id", name=op.f("uq_payment_recovery_instruction_id")),
    )
    with op.batch_alter_table("payment_recovery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_recovery_pid"), ["pid"], unique=False)
        batch_op.create_index(
            "ix_payment_recovery_status", ["status", "commune_code"], unique=False
        )
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("payment_recovery", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_recovery_status")
        batch_op.drop_index(batch_op.f("ix_payment_recovery_pid"))
    op.drop_table("payment_recovery")
