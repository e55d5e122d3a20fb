"""linkage results: a partial index of the cleaning queue's open items

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 04:00:00

The province officer's queue (its page, its count, its communes; ``linkage.repository``)
filtered ``linkage_result`` on the outcome, ``decided`` and the officer's area, which no
index matched: every call read the whole table (35-90 ms at 200,000 results,
docs/performance.md). ``ix_linkage_result_open`` holds only the open items (an outcome to
decide on, not decided) by province, then in the queue's order (outcome, probability
descending, dataset) with the commune: a page reads its first rows in order, and the
counts read the index alone.

A plain ``CREATE INDEX`` (no batch migration): on SQLite a rebuilt table would lose the
triggers of 0026. ``CONCURRENTLY`` is not used: a migration runs in a transaction, and
building the index over 200,000 results takes well under a second.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As dancu.linkage.models.open_items_where writes it (a migration does not import the
# models: they move on, the migration must not).
_OUTCOMES = "outcome IN ('probable_match', 'synced_with_differences')"


def upgrade() -> None:
    op.create_index(
        "ix_linkage_result_open",
        "linkage_result",
        ["province_code", "outcome", sa.text("probability DESC"), "source_id", "commune_code"],
        postgresql_where=sa.text(f"{_OUTCOMES} AND decided IS false"),
        sqlite_where=sa.text(f"{_OUTCOMES} AND decided IS 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_linkage_result_open", table_name="linkage_result")
