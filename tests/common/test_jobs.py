"""The job system: where jobs wait, schedules, retries with back-off, and ``dancu worker``.

Workers here are real Huey consumers on a store of their own (``job_store``: a SQLite file,
and Redis when it answers), over a migrated SQLite database (``cli_database``).
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from huey.api import TaskWrapper
from sqlalchemy import select

import dancu
from dancu.common import jobs, outbox
from dancu.common import tasks as common_tasks
from dancu.common.jobs import cron, every, periodic, queue
from dancu.common.outbox import OutboxEvent
from dancu.db import get_sessionmaker
from dancu.settings import Settings

Declare = Callable[[TaskWrapper], TaskWrapper]


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def declare() -> Iterator[Declare]:
    """Register a test's own job on the queue for the test only."""
    declared: list[TaskWrapper] = []

    def _declare(task: TaskWrapper) -> TaskWrapper:
        declared.append(task)
        return task

    yield _declare
    for task in declared:
        task.unregister()


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# ---------------------------------------------------------------------------- the store


@pytest.mark.parametrize(
    ("database", "jobs_url", "store"),
    [
        ("sqlite:///var/dancu.db", "", "sqlite:///var/dancu-jobs.db"),
        ("sqlite:////srv/dancu/main.sqlite", "", "sqlite:////srv/dancu/main-jobs.sqlite"),
        ("sqlite://", "", "memory://"),
        ("postgresql://dancu@db/dancu", "", "postgresql://dancu@db/dancu"),
        ("postgresql://dancu@db/dancu", "redis://cache:6379/2", "redis://cache:6379/2"),
    ],
    ids=["beside-sqlite", "other-file", "in-memory-db", "postgresql-itself", "redis"],
)
def test_jobs_wait_beside_the_database_unless_a_store_is_named(database, jobs_url, store):
    settings = _settings(database_url=database, jobs_url=jobs_url)
    assert jobs.store_url(settings) == store


def test_an_unknown_store_is_refused_and_production_refuses_memory():
    with pytest.raises(ValueError, match="DANCU_JOBS_URL"):
        _settings(jobs_url="amqp://rabbit")
    with pytest.raises(ValueError, match="DANCU_JOBS_URL must name a shared store"):
        _settings(
            env="production",
            secret_key="k3Jd9-vQ2pXw7LmZt4Rb8NcYh6Ue1SfA",
            dev_login=False,
            public_url="https://id.example.vn",
            jobs_url="memory://",
        )


# ---------------------------------------------------------------------------- schedules


def _at(hour: int, minute: int, second: int = 0) -> datetime:
    """A moment of 15 Jan 2026 in Vietnam's time (UTC+7)."""
    return datetime(2026, 1, 15, hour, minute, second, tzinfo=jobs.VIETNAM).astimezone(UTC)


def test_cron_is_read_in_vietnam_time_and_due_once_in_its_minute():
    monthly_report = cron(minute="0", hour="2", day="15")
    assert monthly_report.due(_at(2, 0, 1), None)
    assert not monthly_report.due(_at(2, 0, 40), _at(2, 0, 1))  # already enqueued this minute
    assert not monthly_report.due(_at(2, 1), _at(2, 0, 1))
    assert not monthly_report.due(_at(9, 0), None)  # 02:00 UTC is 09:00 in Hà Nội


def test_every_counts_from_the_last_run_and_zero_means_never():
    seal = every(lambda settings: 10)
    assert seal.due(_at(8, 0, 0), None)
    assert not seal.due(_at(8, 0, 5), _at(8, 0, 0))
    assert seal.due(_at(8, 0, 10), _at(8, 0, 0))
    assert not every(lambda settings: 0).due(_at(8, 0), None)


def test_a_due_job_is_enqueued_again_only_once_its_waiting_run_starts(declare, job_store):
    @declare
    @periodic(every(lambda settings: 1))
    def tick() -> None:
        return None

    def due() -> bool:
        return any(type(t) is tick.task_class for t in queue.read_periodic(None))

    assert due()
    time.sleep(1.1)
    assert not due()  # the first run still waits in the queue: no second one piles up
    queue.execute(tick.s())  # a worker starts it: the mark is cleared
    time.sleep(1.1)
    assert due()


# ---------------------------------------------------------------------------- workers


def test_a_scheduled_job_runs_repeatedly_under_a_worker(declare, job_store):
    runs: list[float] = []

    @declare
    @periodic(every(lambda settings: 1))
    def heartbeat() -> None:
        runs.append(time.monotonic())

    worker = jobs.start_in_process(workers=1)
    try:
        assert wait_until(lambda: len(runs) >= 3, timeout=15)
    finally:
        worker.stop()
    assert not any(t.is_alive() for t in worker.threads)
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert all(0.4 < gap < 3 for gap in gaps), gaps  # about a second apart


def test_a_failing_scheduled_run_is_logged_and_the_next_one_still_happens(
    declare, job_store, caplog
):
    calls: list[int] = []

    @declare
    @periodic(every(lambda settings: 1))
    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database away")

    caplog.set_level(logging.ERROR, logger="huey")
    worker = jobs.start_in_process(workers=1)
    try:
        assert wait_until(lambda: len(calls) >= 2, timeout=15)
    finally:
        worker.stop()
    assert "Unhandled exception in task" in caplog.text
    assert "database away" in caplog.text


def test_a_failing_job_is_retried_with_back_off(declare, worker):
    attempts: list[float] = []
    succeeded = threading.Event()

    @declare
    @queue.task(retries=2, retry_delay=1, retry_backoff=3)
    def call_the_bank(reference: str) -> None:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise ConnectionError(f"bank unreachable for {reference}")
        succeeded.set()

    call_the_bank("batch-7")
    assert succeeded.wait(20), f"{len(attempts)} attempts"
    first, second = attempts[1] - attempts[0], attempts[2] - attempts[1]
    assert 1 <= first < 2.5, first  # retry_delay
    assert 3 <= second < 4.5, second  # retry_delay x retry_backoff
    time.sleep(1.5)
    assert len(attempts) == 3  # done: no further attempt


def test_a_job_that_keeps_failing_stops_after_its_retries(declare, worker):
    attempts: list[float] = []

    @declare
    @queue.task(retries=1, retry_delay=1)
    def doomed() -> None:
        attempts.append(time.monotonic())
        raise ValueError("always")

    doomed()
    assert wait_until(lambda: len(attempts) == 2, timeout=10)
    time.sleep(2.5)
    assert len(attempts) == 2


# ---------------------------------------------------------------------------- dancu worker


def _worker_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from dancu.cli import app; app()", "worker", *args]


def _env() -> dict[str, str]:
    src = str(Path(dancu.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_dancu_worker_processes_a_job_and_stops_on_ctrl_c(job_store, tmp_path):
    with get_sessionmaker()() as session:
        event = outbox.emit(session, "test.left_over", {"n": 1})  # committed, not dispatched
        session.commit()
        event_id = event.id
    common_tasks.dispatch_outbox()  # enqueue the job by hand: the worker runs no schedule
    log = (tmp_path / "worker.log").open("w+b")
    process = subprocess.Popen(
        _worker_command("--workers", "1", "--no-periodic"),
        env=_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def delivered() -> bool:
            with get_sessionmaker()() as session:
                stmt = select(OutboxEvent.dispatched_at).where(OutboxEvent.id == event_id)
                return session.scalar(stmt) is not None

        assert wait_until(delivered, timeout=60), Path(log.name).read_text()
    finally:
        process.send_signal(signal.SIGINT)  # graceful: running jobs finish
        code = process.wait(timeout=30)
    output = Path(log.name).read_text()
    assert code == 0, output
    assert "worker: 1 threads" in output and "dispatch_outbox" in output
    assert "Shutting down gracefully" in output


def test_a_frequent_run_taken_by_a_dead_worker_is_scheduled_again_within_seconds() -> None:
    """A worker killed after taking a scheduled run leaves it 'waiting': a run every second
    (recovery, sealing) is scheduled again after 10 s, not after LOST_AFTER (5 minutes), so
    the next worker recovers a dead worker's linkage run at once; an hourly one still waits."""
    store = jobs.queue.storage
    frequent = jobs._Slot("t-frequent", jobs.every(lambda _s: 1.0))
    hourly = jobs._Slot("t-hourly", jobs.every(lambda _s: 3600.0))
    for name in ("t-frequent", "t-hourly"):
        store.put_data(jobs.waiting_key(name), jobs._bytes(time.time() - 20))
    assert frequent(datetime.now(UTC)) is True
    assert hourly(datetime.now(UTC)) is False
