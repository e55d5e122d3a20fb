"""audit entries are appended unsealed and chained later by the sealer

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:10:00

``audit_log`` gets an ``id`` primary key; ``seq``, ``prev_hash`` and ``hash`` become the
seal, empty until ``seal`` fills them once. Existing entries keep their seq as their id and
stay sealed with the same hashes, so the chain verifies across the upgrade. The triggers
now allow that one UPDATE and nothing else.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dancu.db import append_only

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CONTENT = (
    "at", "actor_id", "actor_name", "organization", "purpose", "action", "subject_type",
    "subject_id", "fields",
)
_COLUMNS = ", ".join(_CONTENT)
_KEYS = ("id", *_CONTENT[:-1])


def _content_columns() -> list[sa.Column]:
    return [
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=80), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
    ]


def _drop_triggers(dialect: str) -> None:
    for statement in append_only.drop(dialect, "audit_log"):
        op.execute(statement)


def _drop_log() -> None:
    op.drop_index("ix_audit_log_subject", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor_id"), table_name="audit_log")
    op.execute("DROP INDEX IF EXISTS ix_audit_log_unsealed")
    op.drop_table("audit_log")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    op.execute("CREATE TEMPORARY TABLE audit_log_0001 AS SELECT * FROM audit_log")
    _drop_log()
    op.create_table(
        "audit_log",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        *_content_columns(),
        sa.Column("seq", _ID, nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_log_seq")),
    )
    op.create_index(op.f("ix_audit_log_actor_id"), "audit_log", ["actor_id"], unique=False)
    op.create_index(
        "ix_audit_log_subject", "audit_log", ["subject_type", "subject_id", "id"], unique=False
    )
    op.create_index(
        "ix_audit_log_unsealed", "audit_log", ["id"], unique=False,
        postgresql_where=sa.text("seq IS NULL"), sqlite_where=sa.text("seq IS NULL"),
    )
    op.execute(
        f"INSERT INTO audit_log (id, {_COLUMNS}, seq, prev_hash, hash) "
        f"SELECT seq, {_COLUMNS}, seq, prev_hash, hash FROM audit_log_0001"
    )
    op.execute("DROP TABLE audit_log_0001")
    if dialect == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), "
            "COALESCE(max(id), 0) + 1, false) FROM audit_log"
        )
    for statement in append_only.sealed(dialect, "audit_log", content=(*_KEYS, "fields")):
        op.execute(statement)


def downgrade() -> None:
    unsealed = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_log WHERE seq IS NULL"))
    if unsealed.scalar_one():
        raise RuntimeError("unsealed audit entries: run `dancu audit seal` before downgrading")
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    op.execute("CREATE TEMPORARY TABLE audit_log_0002 AS SELECT * FROM audit_log")
    _drop_log()
    op.create_table(
        "audit_log",
        sa.Column("seq", _ID, autoincrement=False, nullable=False),
        *_content_columns(),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_actor_id"), "audit_log", ["actor_id"], unique=False)
    op.create_index(
        "ix_audit_log_subject", "audit_log", ["subject_type", "subject_id", "seq"], unique=False
    )
    op.execute(
        f"INSERT INTO audit_log (seq, {_COLUMNS}, prev_hash, hash) "
        f"SELECT seq, {_COLUMNS}, prev_hash, hash FROM audit_log_0002"
    )
    op.execute("DROP TABLE audit_log_0002")
    for statement in append_only.fixed(dialect, "audit_log"):  # the 0001 triggers
        op.execute(statement)
