"""The cleaning queue's partial index (migration 0027): it exists on both backends, and the
queue's own statements (its page, its count, its communes) can be answered from it — the
statements state the index's condition in its own words, which a planner needs before it
uses a partial index."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session

from dancu.linkage import repository as repo
from tests.linkage import world as wd

INDEX = "ix_linkage_result_open"


def test_the_index_exists_on_the_open_items(factory: Any, backend: str) -> None:
    with factory() as session:
        indexes = {
            i["name"]: i for i in inspect(session.connection()).get_indexes("linkage_result")
        }
        assert INDEX in indexes
        assert indexes[INDEX]["column_names"][:2] == ["province_code", "outcome"]
        if backend == "postgresql":
            where = session.execute(
                text(
                    "select pg_get_expr(indpred, indrelid) from pg_index"
                    " where indexrelid = cast(:i as regclass)"
                ),
                {"i": INDEX},
            ).scalar_one()
        else:
            where = session.execute(
                text("select sql from sqlite_master where name = :i"), {"i": INDEX}
            ).scalar_one()
        assert "probable_match" in where and "synced_with_differences" in where
        assert "decided" in where


def _statements(session: Session) -> list[tuple[str, Any]]:
    """The statements of the queue's three reads for a province officer."""
    seen: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def grab(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        actor = wd.clerk()
        assert repo.queue_waiting(session, actor) > 0
        repo.queue_communes(session, actor, None)
        repo.queue(session, actor, source_id=None, offset=0, limit=20)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return seen


def test_the_queue_reads_use_the_index(factory: Any, linked: Any, backend: str) -> None:
    """With a sequential scan priced out (the test's table is too small for the planner to
    prefer an index otherwise), each of the queue's statements is planned on the partial
    index: its condition is implied by theirs. Without the index, or with a statement
    whose condition no longer implies it, the plan names another access path."""
    with factory() as session:
        statements = _statements(session)
        assert len(statements) == 4  # the count, the communes, the page and its total
        conn = session.connection()
        if backend == "postgresql":
            conn.exec_driver_sql("set local enable_seqscan = off")
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        for statement, parameters in statements:
            rows = conn.exec_driver_sql(explain + statement, parameters).all()
            plan = "\n".join(str(r[-1]) for r in rows)
            assert INDEX in plan, f"{statement}\n{plan}"


@pytest.mark.parametrize("units", [("01",)], ids=["another province"])
def test_the_index_answers_only_the_officers_area(factory: Any, linked: Any, units: Any) -> None:
    with factory() as session:
        assert repo.queue_waiting(session, wd.clerk(units)) == 0
