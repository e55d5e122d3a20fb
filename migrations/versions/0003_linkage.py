"""linkage: sector sources, records, match results, cleaning decisions, jobs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "linkage_mapping",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source_type", sa.String(length=20), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_mapping")),
        sa.UniqueConstraint("source_type", name=op.f("uq_linkage_mapping_source_type")),
    )
    op.create_table(
        "linkage_source",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source_type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("encoding", sa.String(length=40), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("problem_lines", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=80), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source_type IN ('land', 'civil_status', 'social_insurance', 'health_insurance', 'tax', 'bank', 'merit', 'civil_servants')",
            name=op.f("ck_linkage_source_source_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_source")),
    )
    with op.batch_alter_table("linkage_source", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_linkage_source_province_code"), ["province_code"], unique=False
        )

    op.create_table(
        "linkage_job",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("step", sa.String(length=10), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_linkage_job_status")
        ),
        sa.CheckConstraint(
            "step IN ('queued', 'match', 'finalize', 'done')", name=op.f("ck_linkage_job_step")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["linkage_source.id"],
            name=op.f("fk_linkage_job_source_id_linkage_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_job")),
    )
    with op.batch_alter_table("linkage_job", schema=None) as batch_op:
        batch_op.create_index("ix_linkage_job_status", ["status", "id"], unique=False)

    op.create_table(
        "linkage_problem",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=True),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=True),
        sa.Column("rejected", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["linkage_source.id"],
            name=op.f("fk_linkage_problem_source_id_linkage_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_problem")),
    )
    with op.batch_alter_table("linkage_problem", schema=None) as batch_op:
        batch_op.create_index("ix_linkage_problem_source_line", ["source_id", "line"], unique=False)

    op.create_table(
        "linkage_record",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("normalized", sa.JSON(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("pid", sa.String(length=12), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["linkage_source.id"],
            name=op.f("fk_linkage_record_source_id_linkage_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_record")),
        sa.UniqueConstraint("source_id", "line", name="uq_linkage_record_line"),
    )
    op.create_table(
        "linkage_decision",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("citizen_pid", sa.String(length=12), nullable=True),
        sa.Column("field", sa.String(length=60), nullable=True),
        sa.Column("old_value", sa.String(length=500), nullable=True),
        sa.Column("new_value", sa.String(length=500), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=False),
        sa.Column("decided_by_name", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('accept', 'correct', 'not_in_province')",
            name=op.f("ck_linkage_decision_action"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["linkage_record.id"],
            name=op.f("fk_linkage_decision_record_id_linkage_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_decision")),
    )
    with op.batch_alter_table("linkage_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_linkage_decision_record_id"), ["record_id"], unique=False
        )

    op.create_table(
        "linkage_result",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("citizen_pid", sa.String(length=12), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("differences", sa.JSON(), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("citizen_status", sa.String(length=10), nullable=True),
        sa.Column("decided", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('synced', 'synced_with_differences', 'probable_match', 'not_found', 'duplicate_in_source', 'not_in_province')",
            name=op.f("ck_linkage_result_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["linkage_job.id"],
            name=op.f("fk_linkage_result_job_id_linkage_job"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["linkage_record.id"],
            name=op.f("fk_linkage_result_record_id_linkage_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["linkage_source.id"],
            name=op.f("fk_linkage_result_source_id_linkage_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_result")),
        sa.UniqueConstraint("record_id", name=op.f("uq_linkage_result_record_id")),
    )
    with op.batch_alter_table("linkage_result", schema=None) as batch_op:
        batch_op.create_index(
            "ix_linkage_result_source_commune", ["source_id", "commune_code"], unique=False
        )
        batch_op.create_index(
            "ix_linkage_result_source_outcome", ["source_id", "outcome"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("linkage_result", schema=None) as batch_op:
        batch_op.drop_index("ix_linkage_result_source_outcome")
        batch_op.drop_index("ix_linkage_result_source_commune")

    op.drop_table("linkage_result")
    with op.batch_alter_table("linkage_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linkage_decision_record_id"))

    op.drop_table("linkage_decision")
    op.drop_table("linkage_record")
    with op.batch_alter_table("linkage_problem", schema=None) as batch_op:
        batch_op.drop_index("ix_linkage_problem_source_line")

    op.drop_table("linkage_problem")
    with op.batch_alter_table("linkage_job", schema=None) as batch_op:
        batch_op.drop_index("ix_linkage_job_status")

    op.drop_table("linkage_job")
    with op.batch_alter_table("linkage_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linkage_source_province_code"))

    op.drop_table("linkage_source")
    op.drop_table("linkage_mapping")
