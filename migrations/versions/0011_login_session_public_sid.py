"""login_session.public_sid: an officer's tokens find the login session behind them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:45:00

Tokens carry the login session's public ``sid`` (a digest of its id), which the database
cannot compute; storing it beside the id lets the bearer check and the refresh claim join
``oidc_token.sid`` to the session in the same statement (docs/identity.md, "API access
tokens"). Existing sessions get theirs computed here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dancu.identity.auth.session import public_sid

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SESSIONS = sa.table(
    "login_session", sa.column("id", sa.String(64)), sa.column("public_sid", sa.String(32))
)


def upgrade() -> None:
    with op.batch_alter_table("login_session") as batch:
        batch.add_column(sa.Column("public_sid", sa.String(length=32), nullable=True))
    conn = op.get_bind()
    for (session_id,) in conn.execute(sa.select(_SESSIONS.c.id)).all():
        conn.execute(
            _SESSIONS.update()
            .where(_SESSIONS.c.id == session_id)
            .values(public_sid=public_sid(session_id))
        )
    op.create_index(
        "ix_login_session_public_sid", "login_session", ["public_sid"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_login_session_public_sid", table_name="login_session")
    with op.batch_alter_table("login_session") as batch:
        batch.drop_column("public_sid")
