"""bank transfers: the collecting account's camt.053 statements imported, and each of their
entries kept once (matched to a dossier's fee, or waiting for an officer's review)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 17:30:00

A VietQR transfer was never confirmed: nothing read the bank's statement. Each imported
statement is a ``procedure_bank_statement``; each of its entries a
``procedure_statement_entry``, unique per account and bank reference (AcctSvcrRef), so an
entry imported twice is reported, never counted twice. A matched entry also records its
payment in ``procedure_fee_payment`` (gateway "bank_transfer"), as a gateway's does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "procedure_bank_statement",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("statement_id", sa.String(length=35), nullable=False),
        sa.Column("account", sa.String(length=34), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=80), nullable=False),
        sa.Column("imported_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_bank_statement")),
    )
    op.create_table(
        "procedure_statement_entry",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("statement_id", _ID, nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=34), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("credit", sa.Boolean(), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("dossier_code", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["procedure_bank_statement.id"],
            name=op.f("fk_procedure_statement_entry_statement_id_procedure_bank_statement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_statement_entry")),
        sa.UniqueConstraint("account", "reference", name="uq_procedure_statement_entry_ref"),
    )
    op.create_index(
        "ix_procedure_statement_entry_review",
        "procedure_statement_entry",
        ["province_code", "outcome"],
    )


def downgrade() -> None:
    op.drop_index("ix_procedure_statement_entry_review", table_name="procedure_statement_entry")
    op.drop_table("procedure_statement_entry")
    op.drop_table("procedure_bank_statement")
