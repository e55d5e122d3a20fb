"""hardening: a lease on a running linkage import (heartbeat, worker, attempts)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 14:15:00

A worker that dies while importing an upload left the import 'running' forever. The import
now holds a lease: ``heartbeat_at`` renewed while it runs, the ``worker`` process holding it,
and the ``attempts`` made; a stale lease is queued again or failed (linkage/tasks.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("linkage_import", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("worker", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("linkage_import", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("worker")
        batch_op.drop_column("heartbeat_at")
