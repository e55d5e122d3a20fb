"""login_throttle.window_started_at: failed sign-ins counted per client in a window

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:27:49

A nullable column: existing rows (per typed ID number, per account) never use it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_throttle") as batch_op:
        batch_op.add_column(
            sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("login_throttle") as batch_op:
        batch_op.drop_column("window_started_at")
