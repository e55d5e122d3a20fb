"""exchange: bank customer-list cleaning jobs (exchange_cleaning_job)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:24:14

A bank's uploaded customer list is cleaned by a job; this table is its status (queued,
running, done, failed with the error's code), its progress, its counts per status and
where its result file is.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_cleaning_job",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("partner", sa.String(length=80), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_format", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=True),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("result_path", sa.String(length=500), nullable=True),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("error_field", sa.String(length=60), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_exchange_cleaning_job_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_cleaning_job")),
    )
    op.create_index(
        op.f("ix_exchange_cleaning_job_partner"), "exchange_cleaning_job", ["partner"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_exchange_cleaning_job_partner"), table_name="exchange_cleaning_job")
    op.drop_table("exchange_cleaning_job")
