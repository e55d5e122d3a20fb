"""payments: programmes, levels, beneficiaries, proposals, cycles, instructions, files

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:06:56.503595

The payments domain (docs/payments.md). Programmes, categories and levels are filled by
`dancu payments programmes` (and the demo), from payments/programmes.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_programme",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "kind IN ('monthly', 'one_off')", name=op.f("ck_payment_programme_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_programme")),
        sa.UniqueConstraint("code", name=op.f("uq_payment_programme_code")),
    )
    op.create_table(
        "beneficiary",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "programme_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("pid", sa.String(length=12), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=5), nullable=False),
        sa.Column("bank_code", sa.String(length=20), nullable=True),
        sa.Column("account_id", sa.String(length=34), nullable=True),
        sa.Column("account_holder", sa.String(length=140), nullable=True),
        sa.Column("account_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=64), nullable=True),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("approved_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('bank', 'cash')", name=op.f("ck_beneficiary_channel")),
        sa.CheckConstraint(
            "status IN ('proposed', 'active', 'suspended', 'ended', 'refused')",
            name=op.f("ck_beneficiary_status"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["payment_programme.id"],
            name=op.f("fk_beneficiary_programme_id_payment_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beneficiary")),
        sa.UniqueConstraint("pid", "programme_id", name=op.f("uq_beneficiary_pid")),
    )
    with op.batch_alter_table("beneficiary", schema=None) as batch_op:
        batch_op.create_index("ix_beneficiary_commune", ["commune_code", "status"], unique=False)
        batch_op.create_index(
            "ix_beneficiary_list", ["programme_id", "province_code", "status"], unique=False
        )

    op.create_table(
        "payment_category",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "programme_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("coefficient", sa.Integer(), nullable=False),
        sa.Column("min_age", sa.Integer(), nullable=True),
        sa.Column("max_age", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["payment_programme.id"],
            name=op.f("fk_payment_category_programme_id_payment_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_category")),
        sa.UniqueConstraint("programme_id", "code", name=op.f("uq_payment_category_programme_id")),
    )
    op.create_table(
        "payment_cycle",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "programme_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("prepared_by", sa.String(length=80), nullable=False),
        sa.Column("prepared_by_name", sa.String(length=200), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=80), nullable=True),
        sa.Column("approved_by_name", sa.String(length=200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exclusions", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "status IN ('prepared', 'approved', 'closed')", name=op.f("ck_payment_cycle_status")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["payment_programme.id"],
            name=op.f("fk_payment_cycle_programme_id_payment_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_cycle")),
        sa.UniqueConstraint(
            "programme_id", "province_code", "month", name=op.f("uq_payment_cycle_programme_id")
        ),
    )
    op.create_table(
        "payment_level",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "programme_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["payment_programme.id"],
            name=op.f("fk_payment_level_programme_id_payment_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_level")),
        sa.UniqueConstraint(
            "programme_id", "effective_from", name=op.f("uq_payment_level_programme_id")
        ),
    )
    op.create_table(
        "beneficiary_change",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "beneficiary_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("made_by", sa.String(length=80), nullable=False),
        sa.Column("made_by_name", sa.String(length=200), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "action IN ('enrol', 'suspend', 'resume', 'end')",
            name=op.f("ck_beneficiary_change_action"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_beneficiary_change_status"),
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiary.id"],
            name=op.f("fk_beneficiary_change_beneficiary_id_beneficiary"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beneficiary_change")),
    )
    with op.batch_alter_table("beneficiary_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_beneficiary_change_beneficiary_id"), ["beneficiary_id"], unique=False
        )
        batch_op.create_index(
            "uq_beneficiary_change_pending",
            ["beneficiary_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "payment_file",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("cycle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("bank_code", sa.String(length=20), nullable=True),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["payment_cycle.id"], name=op.f("fk_payment_file_cycle_id_payment_cycle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_file")),
        sa.UniqueConstraint("message_id", name=op.f("uq_payment_file_message_id")),
    )
    with op.batch_alter_table("payment_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_file_cycle_id"), ["cycle_id"], unique=False)

    op.create_table(
        "payment_instruction",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("cycle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "beneficiary_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "programme_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("pid", sa.String(length=12), nullable=False),
        sa.Column("payee_name", sa.String(length=120), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=5), nullable=False),
        sa.Column("bank_code", sa.String(length=20), nullable=True),
        sa.Column("account_id", sa.String(length=34), nullable=True),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failure_reason", sa.String(length=140), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("signed_by", sa.String(length=120), nullable=True),
        sa.Column("recovery", sa.String(length=10), nullable=True),
        sa.Column("recovery_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('bank', 'cash')", name=op.f("ck_payment_instruction_channel")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'accepted', 'paid', 'failed')",
            name=op.f("ck_payment_instruction_status"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_instruction_amount_positive")),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiary.id"],
            name=op.f("fk_payment_instruction_beneficiary_id_beneficiary"),
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["payment_cycle.id"],
            name=op.f("fk_payment_instruction_cycle_id_payment_cycle"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["payment_programme.id"],
            name=op.f("fk_payment_instruction_programme_id_payment_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_instruction")),
        sa.UniqueConstraint(
            "beneficiary_id",
            "programme_id",
            "month",
            name=op.f("uq_payment_instruction_beneficiary_id"),
        ),
        sa.UniqueConstraint("end_to_end_id", name=op.f("uq_payment_instruction_end_to_end_id")),
    )
    with op.batch_alter_table("payment_instruction", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payment_instruction_cycle", ["cycle_id", "channel", "status"], unique=False
        )
        batch_op.create_index("ix_payment_instruction_pid", ["pid", "month"], unique=False)

    op.create_table(
        "payment_problem",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["payment_file.id"], name=op.f("fk_payment_problem_file_id_payment_file")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_problem")),
    )
    with op.batch_alter_table("payment_problem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_problem_file_id"), ["file_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payment_problem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_problem_file_id"))

    op.drop_table("payment_problem")
    with op.batch_alter_table("payment_instruction", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_instruction_pid")
        batch_op.drop_index("ix_payment_instruction_cycle")

    op.drop_table("payment_instruction")
    with op.batch_alter_table("payment_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_file_cycle_id"))

    op.drop_table("payment_file")
    with op.batch_alter_table("beneficiary_change", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_beneficiary_change_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index(batch_op.f("ix_beneficiary_change_beneficiary_id"))

    op.drop_table("beneficiary_change")
    op.drop_table("payment_level")
    op.drop_table("payment_cycle")
    op.drop_table("payment_category")
    with op.batch_alter_table("beneficiary", schema=None) as batch_op:
        batch_op.drop_index("ix_beneficiary_list")
        batch_op.drop_index("ix_beneficiary_commune")

    op.drop_table("beneficiary")
    op.drop_table("payment_programme")
