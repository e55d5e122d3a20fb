"""An import whose worker dies is not left 'running': its lease goes stale, and it is queued
again (then imported by another worker) or, after too many tries, failed with a reason the
officer reads (``linkage.import_interrupted``). Before the lease, a killed worker's import
stayed 'running' forever."""

from __future__ import annotations

import io
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from dancu.common import jobs
from dancu.common.outbox import OutboxEvent
from dancu.db import get_engine, get_sessionmaker, utcnow
from dancu.db.uow import unit_of_work
from dancu.linkage import imports, tasks
from dancu.linkage.events import IMPORT_QUEUED
from dancu.linkage.models import LinkageImport, SectorRecord
from tests.common.test_jobs import wait_until
from tests.conftest import bearer
from tests.linkage import world as wd
from tests.linkage.test_jobs import _dancu_worker, _stop

# `dancu worker` whose import reads the whole file into its transaction, then hangs before
# committing it: the test kills it there with SIGKILL.
HANGING_WORKER = """
import time
from dancu.linkage import service
real_import = service.import_dataset
def hanging_import(*args, **kwargs):
    out = real_import(*args, **kwargs)
    print("imported, not committed", flush=True)
    time.sleep(600)
    return out
service.import_dataset = hanging_import
from dancu.cli import app
app()
"""


def _queue(session: Session, data: bytes) -> int:
    return imports.queue_import(
        session,
        io.BytesIO(data),
        file_name="bhxh.csv",
        source_type="social_insurance",
        province_code=wd.PROVINCE,
        actor=wd.clerk(),
    ).id


def _state(import_id: int) -> tuple[str, int, str | None, str | None]:
    reader = get_engine().execution_options(sqlite_reader=True)  # beside a writing worker
    with Session(reader) as session:
        row = session.get(LinkageImport, import_id)
        assert row is not None
        return row.status, row.attempts, row.error_code, row.error


@pytest.mark.parametrize("job_store", ["sqlite"], indirect=True)
def test_an_import_survives_kill_9_of_its_worker(job_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work() as session:
        w = wd.build(session)
        data = wd.social_insurance_csv(w).encode()
    log = tmp_path / "workers.log"
    first = _dancu_worker(log, HANGING_WORKER)
    try:
        with unit_of_work() as session:
            import_id = _queue(session, data)
        hanging = lambda: "imported, not committed" in log.read_text()  # noqa: E731
        assert wait_until(hanging, timeout=120), log.read_text()
        assert _state(import_id)[0] == "running"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        _stop(first)
    assert _state(import_id)[:2] == ("running", 1)  # what a dead worker used to leave forever

    second = _dancu_worker(log)  # recovers the import (its worker is gone) and imports it
    try:
        assert wait_until(lambda: _state(import_id)[0] == "done", timeout=120), log.read_text()
    finally:
        _stop(second)
    status, attempts, code, error = _state(import_id)
    assert (status, attempts, code) == ("done", 2, None)
    assert "the worker importing the file stopped" in (error or "")
    with get_sessionmaker()() as session:
        row = session.get(LinkageImport, import_id)
        assert row is not None and row.source_id is not None
        records = select(func.count()).where(SectorRecord.source_id == row.source_id)
        assert session.scalar(records) == 6 + wd.FILLER  # once: the first try rolled back
        assert not Path(row.path).exists()  # the upload is removed once imported


@pytest.fixture
def running(factory: sessionmaker[Session]) -> int:
    """A committed import, claimed by a worker process that no longer runs, a minute ago."""
    with factory() as session:
        import_id = _queue(session, b"ho_ten,ngay_sinh\nA,1990-01-01\n")
        session.commit()
    with factory() as session:
        assert imports.claim(session, import_id)
        dead = jobs.worker_id().rsplit(":", 2)[0] + ":999999999:1"  # this host, no such pid
        minute_ago = utcnow() - timedelta(minutes=1)
        session.execute(
            update(LinkageImport)
            .where(LinkageImport.id == import_id)
            .values(worker=dead, heartbeat_at=minute_ago)
        )
        session.commit()
    return import_id


def _recover(factory: sessionmaker[Session], **options: object) -> dict[int, str]:
    with factory() as session:
        actions = imports.recover_stale(session, stale_after=timedelta(seconds=30), **options)  # type: ignore[arg-type]
        session.commit()
    return actions


def test_a_stale_import_of_a_dead_worker_is_queued_again(factory, running) -> None:  # type: ignore[no-untyped-def]
    assert _recover(factory) == {running: "resumed"}
    with factory() as session:
        row = session.get(LinkageImport, running)
        assert row is not None and (row.status, row.worker) == ("queued", None)
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == IMPORT_QUEUED))
        assert {"import_id": running} in [e.payload for e in events]
    assert _recover(factory) == {}  # queued now: nothing more to recover
    done = tasks.run_import(factory, running)
    assert done is not None and done.status == "done"


def test_a_live_worker_keeps_its_import_even_with_an_old_heartbeat(factory, running) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:  # SQLite: the import's transaction blocks the heartbeat
        session.execute(
            update(LinkageImport).where(LinkageImport.id == running).values(worker=jobs.worker_id())
        )
        session.commit()
    assert _recover(factory) == {}
    with factory() as session:  # a fresh heartbeat: left alone whoever holds it
        session.execute(
            update(LinkageImport)
            .where(LinkageImport.id == running)
            .values(worker="elsewhere:x:1:2", heartbeat_at=utcnow())
        )
        session.commit()
    assert _recover(factory) == {}


def test_an_import_that_keeps_dying_is_failed_and_the_officer_is_told(  # type: ignore[no-untyped-def]
    factory, running, client
) -> None:
    assert _recover(factory, max_attempts=1) == {running: "failed"}
    with factory() as session:
        row = session.get(LinkageImport, running)
        assert row is not None and row.finished_at is not None
        assert not Path(row.path).exists()  # nothing will import it: the upload is removed
    answer = client.get(f"/api/linkage/imports/{running}", headers=bearer(wd.clerk()))
    body = answer.json()
    assert (body["status"], body["error_code"]) == ("failed", "linkage.import_interrupted")
    assert "not resumed after 1 attempts" in body["error"]
    page = client.get(f"/linkage/imports/{running}", headers=bearer(wd.clerk()))
    assert "Việc nhập tệp bị gián đoạn" in page.text, page.text[:2000]


def test_an_import_whose_upload_is_gone_is_failed(factory, running) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        row = session.get(LinkageImport, running)
        assert row is not None
        Path(row.path).unlink()
    assert _recover(factory) == {running: "failed"}
    assert "the upload is gone" in (tasks.imports.status(factory(), running).error or "")
