"""Name search at scale: the registry's search with the name index of migration 0009
against the same search without it.

Loads ``citizens`` demo citizens (``dancu demo``'s loader) into a throw-away PostgreSQL
database and times ``registry.service.search`` (what the API and the search page call, the
audit entries of the listing included) for a province officer: names typed without the
family name (the case a prefix B-tree cannot serve), full names, and a name with a birth
date. The same queries run with the word index, then after dropping it, on the same
data in the same run; the ratio is time without / time with.

To anchor docs/capacity.md it also reports what the registry costs at this size: the
demo load's time (when the caller passes it), the database's size on disk (tables and
indexes) and look-ups by ID number through ``registry.service.get_citizen`` (the service
the API calls: scoped read, audit entry, COMMIT), without HTTP.
"""

from __future__ import annotations

import random
import statistics
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.common import PROVINCE, SEED, Table
from dancu.common.access import Actor, Role
from dancu.common.textfold import fold
from dancu.db import make_engine
from dancu.registry import service

OFFICER = Actor(
    id="bench-clerk",
    name="Bench clerk",
    roles=frozenset({Role.REGISTRY_CLERK}),
    units=(PROVINCE,),
    organization="Công an tỉnh",
)
QUERIES_PER_KIND = 25
LOOKUPS = 300
SIZED_TABLES = ("citizen", "household", "household_member", "id_card", "civil_event")
INDEX_DDL = (
    "CREATE INDEX ix_citizen_name_words ON citizen USING gin (to_tsvector('simple', name_folded))"
)


def sample_queries(session: Session) -> dict[str, list[dict[str, object]]]:
    """Queries drawn from the loaded citizens (seeded): given names, full names, name+date."""
    rows = session.execute(
        text("SELECT full_name, birth_date FROM citizen ORDER BY id LIMIT 20000")
    ).all()
    rng = random.Random(SEED)
    picked = rng.sample(rows, QUERIES_PER_KIND)
    return {
        "given name only": [{"name": " ".join(fold(r[0]).split()[-2:])} for r in picked],
        "full name": [{"name": r[0]} for r in picked],
        "name + birth date": [{"name": r[0], "birth_date": r[1]} for r in picked],
    }


def _time(session: Session, filters: dict[str, object]) -> float:
    started = time.perf_counter()
    service.search(session, actor=OFFICER, purpose="administrative_procedure", **filters)
    elapsed = time.perf_counter() - started
    session.rollback()  # the listing's audit entries are not kept
    return elapsed * 1000


def measure(
    session: Session, queries: dict[str, list[dict[str, object]]]
) -> dict[str, list[float]]:
    for filters in queries["full name"][:3]:  # warm the caches
        _time(session, filters)
    return {kind: [_time(session, f) for f in items] for kind, items in queries.items()}


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def report_size(session: Session, citizens: int, table: Table) -> None:
    """The database's size on disk, and the registry's tables (indexes included)."""
    total = session.scalar(text("SELECT pg_database_size(current_database())")) or 0
    parts = {
        name: session.scalar(text("SELECT pg_total_relation_size(:t)"), {"t": name}) or 0
        for name in SIZED_TABLES
    }
    registry = sum(parts.values())
    detail = ", ".join(f"{name} {size / citizens:.0f}" for name, size in parts.items())
    table.add("database size", f"{total / 2**30:.2f} GiB", f"{total / citizens:.0f} B/citizen")
    table.add(
        "registry tables, indexes included",
        f"{registry / 2**30:.2f} GiB",
        f"{registry / citizens:.0f} B/citizen: {detail}",
    )


def measure_lookups(session: Session, table: Table) -> None:
    """``get_citizen`` of random ID numbers, each committed with its audit entry."""
    top = session.scalar(text("SELECT max(id) FROM citizen")) or 1
    rng = random.Random(SEED)
    ids = [rng.randint(1, top) for _ in range(LOOKUPS)]
    pids = list(session.scalars(text("SELECT pid FROM citizen WHERE id = ANY(:ids)"), {"ids": ids}))
    times = []
    for pid in pids:
        started = time.perf_counter()
        service.get_citizen(session, pid, actor=OFFICER, purpose="verification")
        session.commit()
        times.append((time.perf_counter() - started) * 1000)
    times = times[10:]  # the first ones warm the caches
    table.add(
        "look-up by ID number (service + audit + COMMIT)",
        f"{statistics.median(times):.2f} ms median",
        f"p95 {_p95(times):.2f} ms, {len(times)} random citizens",
    )


def main(url: str, citizens: int, load_seconds: float | None = None) -> Table:
    table = Table(f"registry_search: name search, {citizens:,} citizens (PostgreSQL)")
    if load_seconds is not None:
        table.add(
            "load_demo (dancu demo)",
            f"{citizens / load_seconds:,.0f} citizens/s",
            f"{load_seconds:.0f} s for {citizens:,} with households, cards, deaths",
        )
    engine = make_engine(url)
    with Session(engine) as session:
        session.execute(text("ANALYZE citizen"))  # as autovacuum would after the bulk load
        session.commit()
        report_size(session, citizens, table)
        measure_lookups(session, table)
        queries = sample_queries(session)
        with_index = measure(session, queries)
        session.execute(text("DROP INDEX ix_citizen_name_words"))
        session.commit()
        without = measure(session, queries)
        session.execute(text(INDEX_DDL))  # the database is thrown away, but leave it whole
        session.commit()
    engine.dispose()
    for kind in queries:
        fast, slow = statistics.median(with_index[kind]), statistics.median(without[kind])
        table.add(
            f"{kind}: median with index / without",
            f"{fast:.1f} / {slow:.1f} ms",
            f"ratio {slow / fast:.1f}x; p95 with index {_p95(with_index[kind]):.1f} ms",
        )
    return table
