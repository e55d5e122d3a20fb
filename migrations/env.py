"""Alembic environment: the URL comes from the settings unless the caller passes a connection."""

from __future__ import annotations

from alembic import context

from dancu.db import UTCDateTime, make_engine
from dancu.models import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    with engine.connect() as conn:  # each migration its own transaction (see _run)
        _run(conn)
    engine.dispose()


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render our UTCDateTime as a plain timezone-aware DateTime in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Kept by migrations, outside the ORM: the name-search index of each backend (0009).
_SEARCH_INDEX = ("citizen_name_fts", "ix_citizen_name_words")


def _ours(name: str | None, type_: str, parent_names: object) -> bool:
    """The job queue's tables (``huey_*``, when jobs wait in this database) are Huey's; the
    name-search index (FTS5 tables, the word index) is the migrations' own."""
    name = name or ""
    if type_ == "table" and name.startswith("huey_"):
        return False
    return not name.startswith(_SEARCH_INDEX)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=_ours,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        # One transaction per migration file, so a migration may leave it for a block of
        # its own (CREATE INDEX CONCURRENTLY in 0009) without breaking the others.
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
