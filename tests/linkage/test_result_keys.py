"""The keys of stored results (migration 0026): one composite key to the record and its
dataset, the run checked per statement by triggers; and the migration keeps the data both
ways, on both backends."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine, delete, func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dancu.cli import alembic_config
from dancu.common import bulk
from dancu.common.errors import NotFound
from dancu.db import is_postgres, make_engine
from dancu.linkage import cleaning, runs, service, tasks
from dancu.linkage import repository as repo
from dancu.linkage.models import LinkageJob, MatchResult, SectorRecord, Source
from tests.conftest import BACKENDS, PG_URL, _driver
from tests.linkage import world as wd

# what a refused write raises: SQLAlchemy's error, or the driver's for a raw ``COPY``
REFUSED = (IntegrityError, psycopg.errors.IntegrityError)


def _result(source_id: int, record_id: int, job_id: int | None) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "record_id": record_id,
        "job_id": job_id,
        "outcome": "not_found",
        "differences": {},
        "decided": False,
    }


def _copy(session: Session, source_id: int, record_id: int, job_id: int) -> None:
    """One result written the way ``runs.store_chunk`` writes them (``COPY`` of CSV on
    PostgreSQL), whatever its dataset and run."""
    if is_postgres(session):
        line = f"{source_id},{job_id},false,{record_id},not_found,,,{{}},,,\n"
        repo.copy_results_csv(session, runs.RESULT_COLUMNS, line.encode())
        return
    row = (source_id, job_id, False, record_id, "not_found", None, None, {}, None, None, None)
    bulk.copy_rows(session, MatchResult.__table__, runs.RESULT_COLUMNS, [row])


@pytest.fixture
def two(factory: sessionmaker[Session], linked) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The linked dataset ``a`` and a second one ``b`` (same file) with a queued run."""
    w, a = linked
    with factory() as session:
        b = service.import_dataset(
            session,
            wd.social_insurance_csv(w).encode(),
            file_name="bhxh-2.csv",
            source_type="social_insurance",
            province_code=wd.PROVINCE,
            actor=wd.clerk(),
            today=wd.TODAY,
        ).source.id
        job_b = runs.create_run(session, b, actor=wd.clerk()).id
        job_a = session.scalar(select(func.max(LinkageJob.id)).where(LinkageJob.source_id == a))
        first = select(func.min(SectorRecord.id)).where(SectorRecord.source_id == b)
        record_b = session.scalar(first)
        session.commit()
    return {"a": a, "b": b, "job_a": job_a, "job_b": job_b, "record_b": record_b}


def test_a_result_belongs_to_its_records_dataset(factory, two) -> None:  # type: ignore[no-untyped-def]
    with factory() as session, pytest.raises(REFUSED):  # b's record, a's dataset
        session.execute(insert(MatchResult).values(_result(two["a"], two["record_b"], None)))
    with factory() as session, pytest.raises(REFUSED):  # the same, as runs write
        _copy(session, two["a"], two["record_b"], two["job_a"])


@pytest.mark.parametrize("write", ["insert", "copy"])
def test_a_result_names_a_run_of_its_dataset(factory, two, write: str) -> None:  # type: ignore[no-untyped-def]
    def store(job_id: int) -> None:
        with factory() as session:
            if write == "insert":
                session.execute(
                    insert(MatchResult).values(_result(two["b"], two["record_b"], job_id))
                )
            else:
                _copy(session, two["b"], two["record_b"], job_id)
            session.commit()

    with pytest.raises(REFUSED, match="run of the same dataset"):
        store(two["job_a"])  # a run of the other dataset
    with pytest.raises(REFUSED, match="run of the same dataset"):
        store(two["job_b"] + 1000)  # no such run
    store(two["job_b"])
    with factory() as session:
        stored = session.scalars(select(MatchResult).where(MatchResult.source_id == two["b"]))
        assert [(r.record_id, r.job_id) for r in stored] == [(two["record_b"], two["job_b"])]


def test_a_result_cannot_be_moved_to_another_datasets_run(factory, two) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        result = session.scalars(
            select(MatchResult).where(MatchResult.source_id == two["a"])
        ).first()
        assert result is not None
        result.job_id = two["job_b"]
        with pytest.raises(REFUSED, match="run of the same dataset"):
            session.flush()


def test_deleting_a_run_keeps_its_results_without_it(factory, linked) -> None:  # type: ignore[no-untyped-def]
    _w, a = linked
    with factory() as session:
        count = session.scalar(select(func.count()).where(MatchResult.source_id == a))
        session.execute(delete(LinkageJob).where(LinkageJob.source_id == a))
        kept = session.execute(
            select(func.count(), func.count(MatchResult.job_id)).where(MatchResult.source_id == a)
        ).one()
        assert count and tuple(kept) == (count, 0)


def test_deleting_a_record_or_its_dataset_deletes_their_results(factory, two) -> None:  # type: ignore[no-untyped-def]
    a = two["a"]
    with factory() as session:
        record = session.scalar(
            select(func.min(MatchResult.record_id)).where(MatchResult.source_id == a)
        )
        session.execute(delete(SectorRecord).where(SectorRecord.id == record))
        assert session.scalar(select(func.count()).where(MatchResult.record_id == record)) == 0
        assert session.scalar(select(func.count()).where(MatchResult.source_id == a))
        session.execute(delete(Source).where(Source.id == a))
        assert session.scalar(select(func.count()).where(MatchResult.source_id == a)) == 0


def test_a_decision_from_before_a_re_run_is_refused(factory, linked) -> None:  # type: ignore[no-untyped-def]
    """Why results keep their surrogate ``id`` (the queue's ``result_id``) rather than
    being keyed by their record: a re-run replaces an undecided result with a new ``id``,
    so a page shown before it cannot decide on a proposal its officer never saw."""
    _w, source_id = linked
    with factory() as session:
        shown = cleaning.queue(session, actor=wd.clerk()).items[0]
        job = runs.enqueue_run(session, source_id, actor=wd.clerk())
        session.commit()
    assert tasks.run_job(factory, job.id).status == "done"
    with factory() as session, pytest.raises(NotFound):
        cleaning.accept(session, shown.result_id, actor=wd.clerk())
    with factory() as session:  # the record is in the queue again, under a new id
        again = [i for i in cleaning.queue(session, actor=wd.clerk()).items]
        same = [i for i in again if i.record_id == shown.record_id]
        assert len(same) == 1 and same[0].result_id != shown.result_id


# ---------------------------------------------------------------------------- the migration


_NOW = "2026-12-01T00:00:00+00:00"
_SOURCE = (
    "INSERT INTO linkage_source (id, source_type, name, province_code, mapping, file_name,"
    " encoding, lines, records, problem_lines, imported_by, imported_at) VALUES (:id, 'tax',"
    " 'x', '66', '{}', 'x.csv', 'utf-8', 2, 2, 0, 'officer:1', :now)"
)
_RECORD = (
    "INSERT INTO linkage_record (id, source_id, line, raw, normalized)"
    " VALUES (:id, :source, :id, '{}', '{}')"
)
_JOB = (
    "INSERT INTO linkage_job (id, source_id, status, step, done, total, attempts, requested_by,"
    " requested_at, actor) VALUES (:id, :source, 'done', 'done', 2, 2, 1, 'officer:1', :now,"
    " '{}')"
)
_RESULT = (
    "INSERT INTO linkage_result (id, source_id, record_id, job_id, outcome, citizen_pid,"
    " probability, differences, province_code, commune_code, citizen_status, decided)"
    " VALUES (:id, :source, :record, :job, :outcome, '066090000001', 0.7, :diff, '66',"
    " '24121', 'alive', :decided)"
)
_RESULTS = "SELECT id, source_id, record_id, job_id, outcome, decided FROM linkage_result"


def _rows(url: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(_RESULTS + " ORDER BY id"))]
    engine.dispose()
    return [(i, s, r, j, o, bool(d)) for i, s, r, j, o, d in rows]


def _keys(url: str) -> set[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        keys = inspect(conn).get_foreign_keys("linkage_result")
    engine.dispose()
    return {
        (tuple(k["constrained_columns"]), k["referred_table"], tuple(k["referred_columns"]))
        for k in keys
    }


def test_the_migration_keeps_results_and_records_both_ways(blank_url: str) -> None:
    config = alembic_config(blank_url)
    command.upgrade(config, "0025")
    engine = make_engine(blank_url)
    diff = json.dumps({"full_name": {"old": "Nguyen Van A", "new": "Nguyễn Văn A"}})
    with engine.begin() as conn:
        for source in (1, 2):
            conn.execute(text(_SOURCE), {"id": source, "now": _NOW})
            conn.execute(text(_JOB), {"id": source, "source": source, "now": _NOW})
        for record in (1, 2, 3):
            conn.execute(text(_RECORD), {"id": record, "source": 1})
        results = (  # result 3 names dataset 2 though its record is dataset 1's
            (1, 1, 1, 1, "synced_with_differences", diff, True),
            (2, 1, 2, 1, "probable_match", "{}", False),
            (3, 2, 3, None, "not_found", "{}", False),
        )
        for id_, source, record, job, outcome, differences, decided in results:
            conn.execute(
                text(_RESULT),
                {
                    "id": id_,
                    "source": source,
                    "record": record,
                    "job": job,
                    "outcome": outcome,
                    "diff": differences,
                    "decided": decided,
                },
            )
    engine.dispose()
    before = _rows(blank_url)
    old_keys = {
        (("job_id",), "linkage_job", ("id",)),
        (("record_id",), "linkage_record", ("id",)),
        (("source_id",), "linkage_source", ("id",)),
    }
    assert _keys(blank_url) == old_keys

    command.upgrade(config, "head")
    assert _rows(blank_url) == [before[0], before[1], (3, 1, 3, None, "not_found", False)]
    assert _keys(blank_url) == {(("source_id", "record_id"), "linkage_record", ("source_id", "id"))}
    engine = make_engine(blank_url)
    with engine.connect() as conn:
        got = conn.execute(text("SELECT differences FROM linkage_result WHERE id = 1")).scalar()
        assert (json.loads(got) if isinstance(got, str) else got) == json.loads(diff)
        with pytest.raises(REFUSED):  # the run trigger is in place
            conn.execute(text("UPDATE linkage_result SET job_id = 2 WHERE id = 2"))
    engine.dispose()

    command.downgrade(config, "0025")
    assert _keys(blank_url) == old_keys
    assert _rows(blank_url) == [before[0], before[1], (3, 1, 3, None, "not_found", False)]
    engine = make_engine(blank_url)
    with engine.begin() as conn:  # no trigger left behind: the old key alone checks the run
        conn.execute(text("UPDATE linkage_result SET job_id = 2 WHERE id = 2"))
        conn.execute(text("DELETE FROM linkage_job WHERE id = 2"))
        assert conn.execute(text("SELECT job_id FROM linkage_result WHERE id = 2")).scalar() is None
    engine.dispose()
    command.upgrade(config, "head")
    assert len(_rows(blank_url)) == 3


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL's row locks")
def test_an_uncommitted_result_holds_its_run_and_record(tmp_path: Path) -> None:
    """As the foreign keys' checks did, the statement that writes a result locks its run
    and its record ``FOR KEY SHARE`` until it commits: neither can be deleted under it."""
    name = f"dancu_keys_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_driver(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text(_SOURCE), {"id": 1, "now": _NOW})
            conn.execute(text(_JOB), {"id": 1, "source": 1, "now": _NOW})
            conn.execute(text(_RECORD), {"id": 1, "source": 1})
        with engine.connect() as writer, engine.connect() as other:
            writer.begin()
            writer.execute(
                text(_RESULT),
                {"id": 1, "source": 1, "record": 1, "job": 1, "outcome": "synced"}
                | {"diff": "{}", "decided": False},
            )
            other.execute(text("SET lock_timeout = '300ms'"))  # for the session
            other.commit()
            for statement in ("DELETE FROM linkage_job", "DELETE FROM linkage_record"):
                other.begin()
                with pytest.raises(OperationalError, match="lock timeout"):
                    other.execute(text(statement))
                other.rollback()
            writer.commit()
            other.begin()
            other.execute(text("DELETE FROM linkage_job"))  # now it may, and the result stays
            assert other.execute(text("SELECT job_id FROM linkage_result")).all() == [(None,)]
            other.commit()
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
