"""Index oidc_token.sid: signing out revokes a login's tokens by sid

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 17:40:00

Without it, every sign-out scanned the provider's busiest table while holding row locks.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_oidc_token_sid", "oidc_token", ["sid"])


def downgrade() -> None:
    op.drop_index("ix_oidc_token_sid", table_name="oidc_token")
