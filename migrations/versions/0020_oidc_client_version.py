"""oidc_client.version: what the token endpoint's client cache checks its rows against

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 18:10:00

The token endpoint keeps the clients it read in a per-process cache (identity/oidc/
clients.py) and checks, in the token INSERT every successful grant runs anyway, that the
client is still active at the version it cached. ``version`` is a random value that a
trigger replaces on every INSERT and UPDATE of the row (whatever wrote it: the CLI, a
migration, SQL by hand), so a changed, deactivated, or deleted-and-recreated client never
matches a cached row, and neither does a row of a transaction that was rolled back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_RANDOM = "md5(random()::text || clock_timestamp()::text)"
_SQLITE_RANDOM = "lower(hex(randomblob(16)))"


def upgrade() -> None:
    op.add_column(
        "oidc_client",
        sa.Column("version", sa.String(length=32), server_default="0", nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"UPDATE oidc_client SET version = {_PG_RANDOM}")
        op.execute(
            "CREATE FUNCTION oidc_client_new_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN NEW.version := {_PG_RANDOM}; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER oidc_client_version BEFORE INSERT OR UPDATE ON oidc_client "
            "FOR EACH ROW EXECUTE FUNCTION oidc_client_new_version()"
        )
    else:
        op.execute(f"UPDATE oidc_client SET version = {_SQLITE_RANDOM}")
        for event, guard in (("INSERT", ""), ("UPDATE", " WHEN NEW.version = OLD.version")):
            op.execute(
                f"CREATE TRIGGER oidc_client_version_{event.lower()} AFTER {event} ON oidc_client"
                f"{guard} BEGIN UPDATE oidc_client SET version = {_SQLITE_RANDOM} "
                "WHERE client_id = NEW.client_id; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER oidc_client_version ON oidc_client")
        op.execute("DROP FUNCTION oidc_client_new_version()")
    else:
        op.execute("DROP TRIGGER oidc_client_version_insert")
        op.execute("DROP TRIGGER oidc_client_version_update")
    with op.batch_alter_table("oidc_client") as batch:
        batch.drop_column("version")
