"""linkage: imports as jobs (linkage_import: an upload waiting for, or imported by, a worker)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:28:54

An upload is stored on disk and imported by a job; this table is its status (queued,
running, done, failed with the error's code) and what the job needs to import it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "linkage_import",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("source_type", sa.String(length=20), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("mapping", sa.JSON(), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("run", sa.Boolean(), nullable=False),
        sa.Column("source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("error_field", sa.String(length=60), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "source_type IN ('land', 'civil_status', 'social_insurance', 'health_insurance', 'tax', 'bank', 'merit', 'civil_servants')",
            name=op.f("ck_linkage_import_source_type"),
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_linkage_import_status"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["linkage_job.id"],
            name=op.f("fk_linkage_import_job_id_linkage_job"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["linkage_source.id"],
            name=op.f("fk_linkage_import_source_id_linkage_source"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_import")),
    )
    with op.batch_alter_table("linkage_import", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_linkage_import_province_code"), ["province_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("linkage_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linkage_import_province_code"))

    op.drop_table("linkage_import")
