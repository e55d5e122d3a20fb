"""hardening: a lease on a running linkage import; monthly partitions of the audit log

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 14:15:00

A worker that dies while importing an upload left the import 'running' forever. The import
now holds a lease: ``heartbeat_at`` renewed while it runs, the ``worker`` process holding it,
and the ``attempts`` made; a stale lease is queued again or failed (linkage/tasks.py).

On PostgreSQL ``audit_log`` becomes a table partitioned by month of ``at`` (ADR 0010): one
partition per month from the oldest entry's to three months ahead, and a default partition
for anything outside them; the rows, the id sequence and the append-only trigger move with
it. The primary key becomes (id, at) and the unique seq (seq, at): a partitioned table's
unique keys include the partition key (the sealer alone assigns seq, under the head's
lock). A past month then leaves the table with ``dancu audit archive``. SQLite keeps one
table: nothing changes there.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from dancu.db import append_only

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_COLUMNS = (
    "id, at, actor_id, actor_name, organization, purpose, action, subject_type, subject_id,"
    " fields, seq, prev_hash, hash"
)


def upgrade() -> None:
    _linkage_import_lease()
    if op.get_bind().dialect.name == "postgresql":
        _partition_audit_log()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _unpartition_audit_log()
    with op.batch_alter_table("linkage_import", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("worker")
        batch_op.drop_column("heartbeat_at")


def _linkage_import_lease() -> None:
    with op.batch_alter_table("linkage_import", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("worker", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
        )



def _swap_out_audit_log() -> None:
    """Rename the table and its indexes away, keeping the id sequence for the new one."""
    op.execute("ALTER SEQUENCE audit_log_id_seq OWNED BY NONE")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
    op.execute("ALTER TABLE audit_log RENAME TO audit_log_0019")
    for name in (
        "pk_audit_log",
        "uq_audit_log_seq",
    ):
        op.execute(f"ALTER TABLE audit_log_0019 RENAME CONSTRAINT {name} TO {name}_0019")
    for name in ("ix_audit_log_actor_id", "ix_audit_log_subject", "ix_audit_log_unsealed"):
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_0019")


def _create_audit_log(partitioned: bool) -> None:
    keys = "id, at" if partitioned else "id"
    seq = "seq, at" if partitioned else "seq"
    op.execute(
        f"""CREATE TABLE audit_log (
            id BIGINT NOT NULL DEFAULT nextval('audit_log_id_seq'::regclass),
            at TIMESTAMP WITH TIME ZONE NOT NULL,
            actor_id VARCHAR(80) NOT NULL,
            actor_name VARCHAR(200) NOT NULL,
            organization VARCHAR(200) NOT NULL,
            purpose VARCHAR(40) NOT NULL,
            action VARCHAR(60) NOT NULL,
            subject_type VARCHAR(40) NOT NULL,
            subject_id VARCHAR(64) NOT NULL,
            fields JSON NOT NULL,
            seq BIGINT,
            prev_hash VARCHAR(64),
            hash VARCHAR(64),
            CONSTRAINT pk_audit_log PRIMARY KEY ({keys}),
            CONSTRAINT uq_audit_log_seq UNIQUE ({seq})
        ){" PARTITION BY RANGE (at)" if partitioned else ""}"""
    )
    op.execute("ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id")
    op.execute("CREATE INDEX ix_audit_log_actor_id ON audit_log (actor_id)")
    op.execute("CREATE INDEX ix_audit_log_subject ON audit_log (subject_type, subject_id, id)")
    op.execute("CREATE INDEX ix_audit_log_unsealed ON audit_log (id) WHERE seq IS NULL")


def _move_rows_and_guard() -> None:
    op.execute(f"INSERT INTO audit_log ({_COLUMNS}) SELECT {_COLUMNS} FROM audit_log_0019")
    op.execute("DROP TABLE audit_log_0019")
    op.execute(append_only.pg_trigger("audit_log"))


def _partition_audit_log() -> None:
    _swap_out_audit_log()
    _create_audit_log(partitioned=True)
    oldest = op.get_bind().execute(sa.text("SELECT min(at) FROM audit_log_0019")).scalar()
    now = datetime.now(UTC)
    month = (oldest or now).astimezone(UTC).replace(day=1, hour=0, minute=0, second=0)
    month = month.replace(microsecond=0)
    last = _next(_next(_next(now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))))
    while month <= last:  # common/audit.py's ensure_partitions keeps three months ahead
        following = _next(month)
        op.execute(
            f"CREATE TABLE audit_log_p{month:%Y%m} PARTITION OF audit_log"
            f" FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
        )
        month = following
    op.execute("CREATE TABLE audit_log_pdefault PARTITION OF audit_log DEFAULT")
    _move_rows_and_guard()


def _next(month: datetime) -> datetime:
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def _unpartition_audit_log() -> None:
    _swap_out_audit_log()
    _create_audit_log(partitioned=False)
    _move_rows_and_guard()
