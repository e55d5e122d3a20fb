"""linkage results: one composite key to their record and its dataset, and the run checked
once per statement instead of once per row

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 00:00:00

Storing a run's results (``COPY`` of 200,000 rows) spent most of its time in
``linkage_result``'s three foreign keys: PostgreSQL checks a foreign key row by row, each
check a query that locks the row it finds (docs/performance.md, linkage_scale, 2026-12-05).

* ``(source_id, record_id)`` -> ``linkage_record (source_id, id)`` (``ON DELETE CASCADE``)
  replaces the keys ``source_id`` -> ``linkage_source`` and ``record_id`` ->
  ``linkage_record``: one check a row instead of two, and a stronger rule (a result's
  dataset is its record's). ``linkage_record`` gains the unique index it refers to
  (``ix_linkage_record_source_record``). A result whose ``source_id`` was not its record's
  (none is written so) takes its record's.
* ``job_id`` -> ``linkage_job`` (``ON DELETE SET NULL``) is replaced by triggers: after each
  statement that inserts or updates results, the runs they name are locked ``FOR KEY
  SHARE`` (what a foreign key's check takes: the run cannot be deleted before the writer
  commits) and each must be a run of the result's dataset; deleting runs sets their
  results' ``job_id`` to null. On SQLite, row triggers do the same.

On SQLite the rebuilt table also gets ``AUTOINCREMENT``: SQLite otherwise hands out the
ids of deleted rows again, and a re-run deletes the undecided results before storing new
ones, so an id shown in the queue before a re-run could name another record's result
after it.

The downgrade restores the three keys (results and records are kept as they are).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MESSAGE = "linkage_result.job_id must name a run of the same dataset"

_POSTGRES_UP = (
    f"""
CREATE FUNCTION linkage_result_job_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM linkage_job j
   WHERE j.id IN (SELECT n.job_id FROM new_results n WHERE n.job_id IS NOT NULL)
     FOR KEY SHARE;
  IF EXISTS (
    SELECT 1
      FROM (SELECT DISTINCT source_id, job_id FROM new_results WHERE job_id IS NOT NULL) n
     WHERE NOT EXISTS (
       SELECT 1 FROM linkage_job j WHERE j.id = n.job_id AND j.source_id = n.source_id)
  ) THEN
    RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$
""",
    """
CREATE TRIGGER linkage_result_job_insert AFTER INSERT ON linkage_result
  REFERENCING NEW TABLE AS new_results
  FOR EACH STATEMENT EXECUTE FUNCTION linkage_result_job_check()
""",
    """
CREATE TRIGGER linkage_result_job_update AFTER UPDATE ON linkage_result
  REFERENCING NEW TABLE AS new_results
  FOR EACH STATEMENT EXECUTE FUNCTION linkage_result_job_check()
""",
    """
CREATE FUNCTION linkage_job_results_unlinked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- (a result whose record is gone too, as when a dataset is deleted, is being deleted)
  UPDATE linkage_result r SET job_id = NULL
   WHERE r.job_id IN (SELECT id FROM old_jobs)
     AND EXISTS (SELECT 1 FROM linkage_record x WHERE x.id = r.record_id);
  RETURN NULL;
END $$
""",
    """
CREATE TRIGGER linkage_job_delete AFTER DELETE ON linkage_job
  REFERENCING OLD TABLE AS old_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION linkage_job_results_unlinked()
""",
)
_POSTGRES_DOWN = (
    "DROP TRIGGER linkage_job_delete ON linkage_job",
    "DROP FUNCTION linkage_job_results_unlinked()",
    "DROP TRIGGER linkage_result_job_update ON linkage_result",
    "DROP TRIGGER linkage_result_job_insert ON linkage_result",
    "DROP FUNCTION linkage_result_job_check()",
)

_SQLITE_NO_SUCH_RUN = """NEW.job_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM linkage_job j WHERE j.id = NEW.job_id AND j.source_id = NEW.source_id)"""
_SQLITE_UP = (
    f"""
CREATE TRIGGER linkage_result_job_insert BEFORE INSERT ON linkage_result
WHEN {_SQLITE_NO_SUCH_RUN}
BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END
""",
    f"""
CREATE TRIGGER linkage_result_job_update BEFORE UPDATE OF job_id, source_id ON linkage_result
WHEN {_SQLITE_NO_SUCH_RUN}
BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END
""",
    """
CREATE TRIGGER linkage_job_delete AFTER DELETE ON linkage_job
BEGIN
  UPDATE linkage_result SET job_id = NULL
   WHERE job_id = OLD.id
     AND EXISTS (SELECT 1 FROM linkage_record x WHERE x.id = linkage_result.record_id);
END
""",
)
_SQLITE_DOWN = (
    "DROP TRIGGER linkage_job_delete",
    "DROP TRIGGER linkage_result_job_update",
    "DROP TRIGGER linkage_result_job_insert",
)

# a result's dataset is its record's (always written so; made sure before the key checks it)
_RECORD_SOURCE = "(SELECT r.source_id FROM linkage_record r WHERE r.id = linkage_result.record_id)"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.execute(
        f"UPDATE linkage_result SET source_id = {_RECORD_SOURCE}"
        f" WHERE source_id <> {_RECORD_SOURCE}"
    )
    op.create_index(
        "ix_linkage_record_source_record", "linkage_record", ["source_id", "id"], unique=True
    )
    # SQLite rebuilds the table here: with AUTOINCREMENT, so that a result's id is never
    # given again (it is the queue's result_id; PostgreSQL's sequence never reuses one)
    with op.batch_alter_table(
        "linkage_result", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_constraint("fk_linkage_result_job_id_linkage_job", type_="foreignkey")
        batch.drop_constraint("fk_linkage_result_record_id_linkage_record", type_="foreignkey")
        batch.drop_constraint("fk_linkage_result_source_id_linkage_source", type_="foreignkey")
        batch.create_foreign_key(
            "fk_linkage_result_source_id_linkage_record",
            "linkage_record",
            ["source_id", "record_id"],
            ["source_id", "id"],
            ondelete="CASCADE",
        )
    for statement in _POSTGRES_UP if _postgres() else _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in _POSTGRES_DOWN if _postgres() else _SQLITE_DOWN:
        op.execute(statement)
    with op.batch_alter_table("linkage_result") as batch:
        batch.drop_constraint("fk_linkage_result_source_id_linkage_record", type_="foreignkey")
        batch.create_foreign_key(
            "fk_linkage_result_source_id_linkage_source",
            "linkage_source",
            ["source_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            "fk_linkage_result_record_id_linkage_record",
            "linkage_record",
            ["record_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            "fk_linkage_result_job_id_linkage_job",
            "linkage_job",
            ["job_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.drop_index("ix_linkage_record_source_record", table_name="linkage_record")
