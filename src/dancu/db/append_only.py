"""The DDL of the append-only guards that migrations put on log tables (PostgreSQL, SQLite).

A guarded table refuses DELETE and UPDATE with the error ``<table> is append-only``:
``fixed`` refuses every UPDATE; ``sealed`` allows the one UPDATE that seals a row once
(``seq`` set where it was empty, ``content`` unchanged), as the audit log and the exchange
message log need (ADR 0002). PostgreSQL gets a function and one ``<name>_no_change``
trigger; SQLite two triggers, ``<name>_no_update`` and ``<name>_no_delete``.

Applied migrations call these functions: their output is frozen. Changing it would make a
new database differ from an upgraded one; a new kind of guard is a new function.
"""

from __future__ import annotations

from collections.abc import Sequence

_REFUSE = "RAISE EXCEPTION '{table} is append-only'"
_CODE = "USING ERRCODE = 'integrity_constraint_violation'"
_ABORT = "BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"


def fixed(dialect: str, table: str, *, name: str = "", function: str = "") -> list[str]:
    """Statements that make ``table`` refuse every UPDATE and DELETE."""
    name, function = _names(table, name, function)
    if dialect == "postgresql":
        body = (
            f"            BEGIN {_REFUSE.format(table=table)}\n"
            f"                {_CODE}; END; $$ LANGUAGE plpgsql"
        )
        return [_function(function, body), pg_trigger(table, name=name, function=function)]
    return [
        f"CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {table}\n"
        f"        {_ABORT.format(table=table)}",
        _sqlite_no_delete(table, name),
    ]


def sealed(
    dialect: str,
    table: str,
    *,
    content: Sequence[str],
    json: Sequence[str] = ("fields",),
    name: str = "",
    function: str = "",
) -> list[str]:
    """Statements that make ``table`` refuse DELETE and every UPDATE but the seal: ``seq``
    set where it was NULL, the ``content`` columns unchanged (``json`` ones compared as
    text on PostgreSQL)."""
    name, function = _names(table, name, function)
    if dialect == "postgresql":
        old = ", ".join(f"OLD.{c}::text" if c in json else f"OLD.{c}" for c in content)
        new = ", ".join(f"NEW.{c}::text" if c in json else f"NEW.{c}" for c in content)
        body = (
            "            BEGIN\n"
            "                IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL\n"
            f"                    AND ROW({new}) IS NOT DISTINCT FROM ROW({old}) THEN\n"
            "                    RETURN NEW;\n"
            "                END IF;\n"
            f"                {_REFUSE.format(table=table)}\n"
            f"                    {_CODE};\n"
            "            END; $$ LANGUAGE plpgsql"
        )
        return [_function(function, body), pg_trigger(table, name=name, function=function)]
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in content)
    return [
        f"CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {table}\n"
        f"        WHEN OLD.seq IS NOT NULL OR NEW.seq IS NULL OR {changed}\n"
        f"        {_ABORT.format(table=table)}",
        _sqlite_no_delete(table, name),
    ]


def pg_trigger(table: str, *, name: str = "", function: str = "") -> str:
    """PostgreSQL's trigger alone (the function exists): to guard a table made anew."""
    name, function = _names(table, name, function)
    return (
        f"CREATE TRIGGER {name}_no_change BEFORE UPDATE OR DELETE ON {table}\n"
        f"            FOR EACH ROW EXECUTE FUNCTION {function}()"
    )


def drop(dialect: str, table: str, *, name: str = "", function: str = "") -> list[str]:
    """Statements that remove ``fixed``'s or ``sealed``'s guard."""
    name, function = _names(table, name, function)
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {name}_no_change ON {table}",
            f"DROP FUNCTION IF EXISTS {function}()",
        ]
    return [f"DROP TRIGGER IF EXISTS {name}_no_update", f"DROP TRIGGER IF EXISTS {name}_no_delete"]


def _names(table: str, name: str, function: str) -> tuple[str, str]:
    """The triggers' prefix (the table's name by default) and the function's name."""
    name = name or table
    return name, function or f"{name}_append_only"


def _function(function: str, body: str) -> str:
    return f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$\n{body}"


def _sqlite_no_delete(table: str, name: str) -> str:
    abort = _ABORT.format(table=table)
    return f"CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {table}\n        {abort}"
