"""A real index for name search: full-text words on PostgreSQL, FTS5 on SQLite

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:40:00

Search matches whole words in order inside the folded name (``LIKE '% van an %'`` on the
name padded with spaces). The B-tree indexes serve only a prefix, so a name typed without
its family name read every citizen of the area. Both backends get a word index searched
for the typed words as a phrase, which the LIKE then confirms: on PostgreSQL a GIN index
over ``to_tsvector('simple', name_folded)`` (built CONCURRENTLY: the table may be large and
in use; no extension needed; trigrams were tried and are less selective, since Vietnamese
names share few, short words), on SQLite an FTS5 table over ``citizen.name_folded``
(external content, kept by triggers). Both live outside the ORM's metadata
(``migrations/env.py``).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_citizen_name_words ON citizen "
    "USING gin (to_tsvector('simple', name_folded))"
)
SQLITE_UP = (
    "CREATE VIRTUAL TABLE citizen_name_fts USING fts5("
    "name_folded, content='citizen', content_rowid='id', tokenize='unicode61')",
    """CREATE TRIGGER citizen_name_fts_insert AFTER INSERT ON citizen BEGIN
        INSERT INTO citizen_name_fts (rowid, name_folded) VALUES (new.id, new.name_folded);
    END""",
    """CREATE TRIGGER citizen_name_fts_delete AFTER DELETE ON citizen BEGIN
        INSERT INTO citizen_name_fts (citizen_name_fts, rowid, name_folded)
        VALUES ('delete', old.id, old.name_folded);
    END""",
    """CREATE TRIGGER citizen_name_fts_update AFTER UPDATE OF name_folded ON citizen BEGIN
        INSERT INTO citizen_name_fts (citizen_name_fts, rowid, name_folded)
        VALUES ('delete', old.id, old.name_folded);
        INSERT INTO citizen_name_fts (rowid, name_folded) VALUES (new.id, new.name_folded);
    END""",
    "INSERT INTO citizen_name_fts (citizen_name_fts) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS citizen_name_fts_update",
    "DROP TRIGGER IF EXISTS citizen_name_fts_delete",
    "DROP TRIGGER IF EXISTS citizen_name_fts_insert",
    "DROP TABLE IF EXISTS citizen_name_fts",
)


def upgrade() -> None:
    # A birth date narrows a search to a few dozen people of a province.
    op.create_index("ix_citizen_birth", "citizen", ["province_code", "birth_date"])
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(PG_INDEX)
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_citizen_name_words")
    else:
        for statement in SQLITE_DOWN:
            op.execute(statement)
    op.drop_index("ix_citizen_birth", table_name="citizen")
