"""statement entries under review are settled once: applied to a dossier, refunded or
ignored, with who, when and why; an entry without a bank reference is kept once

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 21:00:00

``procedure_statement_entry`` gains the officer's decision (``decision`` in apply, refund,
ignore; ``decided_by`` and ``decided_by_name``, ``decided_at``, ``decision_reason``,
``refund_reference`` the bank's reference of a refund, ``applied_to`` the dossier paid), all
null until an officer decides, and ``entry_key``: for an entry without a bank reference
(AcctSvcrRef), a hash of its statement's identifier, booking date, amount, currency,
direction, status, text and rank among identical entries, unique per account like the
reference, so importing the same statement again keeps such an entry once. Entries kept
before this revision have no key: a statement imported before it and imported again keeps
its reference-less entries once more, then never again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("entry_key", sa.String(length=64)),
    ("decision", sa.String(length=10)),
    ("decided_by", sa.String(length=80)),
    ("decided_by_name", sa.String(length=200)),
    ("decided_at", sa.DateTime(timezone=True)),
    ("decision_reason", sa.String(length=500)),
    ("refund_reference", sa.String(length=35)),
    ("applied_to", sa.String(length=32)),
)


def upgrade() -> None:
    with op.batch_alter_table("procedure_statement_entry") as batch:
        for name, kind in _COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
        batch.create_unique_constraint("uq_procedure_statement_entry_key", ["account", "entry_key"])
        batch.create_check_constraint("decision", "decision IN ('apply', 'refund', 'ignore')")


def downgrade() -> None:
    with op.batch_alter_table("procedure_statement_entry") as batch:
        batch.drop_constraint(op.f("ck_procedure_statement_entry_decision"), type_="check")
        batch.drop_constraint("uq_procedure_statement_entry_key", type_="unique")
        for name, _kind in reversed(_COLUMNS):
            batch.drop_column(name)
