"""procedures: dossiers, steps, files, history, calendar

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:06:22

Citizens' dossiers (one row each, with the form, the data reused and the fee), each
agency's step with its deadline, the uploaded components (their bytes live on disk under
their SHA-256), the history of every change, and the declared days off and swaps.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "procedure_calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.CheckConstraint("kind IN ('off', 'work')", name=op.f("ck_procedure_calendar_day_kind")),
        sa.PrimaryKeyConstraint("day", "province_code", name=op.f("pk_procedure_calendar_day")),
    )
    op.create_table(
        "procedure_dossier",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("procedure_code", sa.String(length=10), nullable=False),
        sa.Column("applicant_pid", sa.String(length=12), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("applicant_name", sa.String(length=120), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("reused", sa.JSON(), nullable=False),
        sa.Column("asked", sa.JSON(), nullable=False),
        sa.Column("delivery", sa.String(length=10), nullable=False),
        sa.Column("fee_amount", sa.BigInteger(), nullable=False),
        sa.Column("fee_state", sa.String(length=8), nullable=False),
        sa.Column("paid_amount", sa.BigInteger(), nullable=True),
        sa.Column("paid_reference", sa.String(length=80), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("paused_on", sa.Date(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("locked_by", sa.String(length=80), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_to", sa.String(length=80), nullable=True),
        sa.Column("current_step", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("result_digitized", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "channel IN ('online', 'counter', 'npsp')", name=op.f("ck_procedure_dossier_channel")
        ),
        sa.CheckConstraint(
            "delivery IN ('wallet', 'post', 'counter')", name=op.f("ck_procedure_dossier_delivery")
        ),
        sa.CheckConstraint(
            "fee_state IN ('none', 'unpaid', 'paid')", name=op.f("ck_procedure_dossier_fee_state")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'processing', 'supplement', 'approved', "
            "'rejected', 'withdrawn')",
            name=op.f("ck_procedure_dossier_status"),
        ),
        sa.CheckConstraint(
            "rating IS NULL OR (rating BETWEEN 1 AND 5)", name=op.f("ck_procedure_dossier_rating")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_dossier")),
        sa.UniqueConstraint("applicant_pid", "idempotency_key", name="uq_procedure_dossier_key"),
        sa.UniqueConstraint("code", name=op.f("uq_procedure_dossier_code")),
    )
    with op.batch_alter_table("procedure_dossier", schema=None) as batch_op:
        batch_op.create_index(
            "ix_procedure_dossier_applicant", ["applicant_pid", "status"], unique=False
        )
        batch_op.create_index("ix_procedure_dossier_queue", ["unit_code", "status"], unique=False)

    op.create_table(
        "procedure_file",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "dossier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("component", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["procedure_dossier.id"],
            name=op.f("fk_procedure_file_dossier_id_procedure_dossier"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_file")),
    )
    with op.batch_alter_table("procedure_file", schema=None) as batch_op:
        batch_op.create_index("ix_procedure_file_dossier", ["dossier_id"], unique=False)

    op.create_table(
        "procedure_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "dossier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=True),
        sa.Column("to_status", sa.String(length=12), nullable=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["procedure_dossier.id"],
            name=op.f("fk_procedure_history_dossier_id_procedure_dossier"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_history")),
    )
    with op.batch_alter_table("procedure_history", schema=None) as batch_op:
        batch_op.create_index("ix_procedure_history_dossier", ["dossier_id", "id"], unique=False)

    op.create_table(
        "procedure_step",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "dossier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=False),
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("officer_id", sa.String(length=80), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "status IN ('waiting', 'active', 'done', 'rejected', 'sent')",
            name=op.f("ck_procedure_step_status"),
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["procedure_dossier.id"],
            name=op.f("fk_procedure_step_dossier_id_procedure_dossier"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_step")),
        sa.UniqueConstraint("dossier_id", "seq", name="uq_procedure_step_seq"),
    )
    with op.batch_alter_table("procedure_step", schema=None) as batch_op:
        batch_op.create_index(
            "ix_procedure_step_queue", ["agency", "unit_code", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("procedure_step", schema=None) as batch_op:
        batch_op.drop_index("ix_procedure_step_queue")

    op.drop_table("procedure_step")
    with op.batch_alter_table("procedure_history", schema=None) as batch_op:
        batch_op.drop_index("ix_procedure_history_dossier")

    op.drop_table("procedure_history")
    with op.batch_alter_table("procedure_file", schema=None) as batch_op:
        batch_op.drop_index("ix_procedure_file_dossier")

    op.drop_table("procedure_file")
    with op.batch_alter_table("procedure_dossier", schema=None) as batch_op:
        batch_op.drop_index("ix_procedure_dossier_queue")
        batch_op.drop_index("ix_procedure_dossier_applicant")

    op.drop_table("procedure_dossier")
    op.drop_table("procedure_calendar_day")
