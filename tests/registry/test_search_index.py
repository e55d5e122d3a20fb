"""Name search has a real index: words on PostgreSQL, FTS5 on SQLite (migration 0009).

The rule is the same on both (whole words in order, ``test_service.py`` checks it); here:
the plan uses the index, and the SQLite index follows renames and deletions.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from dancu.common.access import SYSTEM_ACTOR
from dancu.db import is_postgres
from dancu.registry import repository, service
from tests.registry.factories import person


def _names(session, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    page = service.search(
        session, actor=SYSTEM_ACTOR, purpose="administrative_procedure", name=query
    )
    return [item.full_name for item in page.items]


def _plan(session, name_folded: str) -> str:  # type: ignore[no-untyped-def]
    stmt = repository.citizens_readable_by(SYSTEM_ACTOR).where(
        *repository.name_matches(session, name_folded)
    )
    compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    if is_postgres(session):
        session.execute(text("SET LOCAL enable_seqscan = off"))  # the table is tiny here
        rows = session.execute(text(f"EXPLAIN {compiled}")).scalars().all()
    else:
        rows = [r[-1] for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()]
    return "\n".join(rows)


def test_the_search_plan_uses_the_name_index(session):
    person(session, "Nguyễn Văn An")
    plan = _plan(session, "van an")
    if is_postgres(session):
        assert "ix_citizen_name_words" in plan, plan
    else:
        assert "citizen_name_fts VIRTUAL TABLE INDEX" in plan, plan


def test_the_index_follows_a_rename_and_a_deletion(session):
    renamed = person(session, "Lê Thị Hoa").id
    gone = person(session, "Lê Thị Hồng").id
    assert _names(session, "le thi") == ["Lê Thị Hoa", "Lê Thị Hồng"]
    session.execute(
        text(
            "UPDATE citizen SET full_name = 'Lê Thị Huệ', name_folded = 'le thi hue' WHERE id = :id"
        ),
        {"id": renamed},
    )
    session.execute(text("DELETE FROM citizen WHERE id = :id"), {"id": gone})
    session.expire_all()
    assert _names(session, "le thi hoa") == []
    assert _names(session, "thi hue") == ["Lê Thị Huệ"]
    assert _names(session, "le thi") == ["Lê Thị Huệ"]
    left = session.execute(text("SELECT count(*) FROM citizen WHERE id = :id"), {"id": gone})
    assert left.scalar_one() == 0


def test_a_quote_in_the_typed_name_is_only_text(session):
    person(session, "Nguyễn Văn An")
    assert _names(session, 'van "an') == []
    assert _names(session, "van an") == ["Nguyễn Văn An"]


def test_a_name_with_a_birth_date_is_found_through_the_date_not_the_word_index(session):
    """With a birth date the name is checked by its rule alone (at 10,000,000 citizens the
    planner, offered the word index too, read every namesake: 64 ms against 8 ms)."""
    born = date(1990, 5, 17)
    person(session, "Nguyễn Văn An", birth_date=born)
    person(session, "Nguyễn Văn Anh", birth_date=born)
    person(session, "Nguyễn Văn An", birth_date=date(1991, 5, 17))
    with_date = repository.search_conditions(session, "van an", born, None)
    sql = " ".join(
        str(c.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        for c in with_date
    )
    assert "tsvector" not in sql and "citizen_name_fts" not in sql, sql
    name_only = repository.search_conditions(session, "van an", None, None)
    assert any("tsvector" in str(c) or "citizen_name_fts" in str(c) for c in name_only), (
        "a name alone still goes through the word index"
    )
    page = service.search(
        session,
        actor=SYSTEM_ACTOR,
        purpose="administrative_procedure",
        name="Văn An",
        birth_date=born,
    )
    assert [(c.full_name, c.birth_date) for c in page.items] == [("Nguyễn Văn An", born)]
