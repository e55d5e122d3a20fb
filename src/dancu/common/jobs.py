"""The job system: every piece of background work is a Huey task on :data:`queue` (ADR 0005).

A domain declares its jobs in its ``tasks.py``::

    @queue.task(retries=3, retry_delay=30, retry_backoff=2)  # calling it enqueues it
    def run(job_id: int) -> None: ...

    @periodic(every(lambda settings: settings.audit_seal_seconds))  # on a schedule
    def seal_audit_log() -> None: ...

A job is a boundary like a route: it opens its own unit of work (or one per step) and
commits. Calling a task enqueues it at once, whatever happens to the caller's transaction;
work that must start only if a transaction commits is asked for with an outbox event,
whose handler enqueues the task after the commit (a linkage run is queued so).

Where jobs wait is ``DANCU_JOBS_URL``: empty means a SQLite file next to a SQLite database
(``var/dancu-jobs.db``), or the PostgreSQL database itself; ``redis://``, ``postgresql://``
and ``sqlite:///`` name a store; ``memory://`` keeps jobs inside one process (tests).
``dancu worker`` runs a consumer (:func:`run_worker`); ``dancu serve`` runs one inside each
server process unless ``DANCU_JOBS_IN_PROCESS=false`` (:func:`start_in_process`).

Huey looks at periodic tasks once a minute; the audit log is sealed every second, so our
scheduler looks every second and each schedule decides whether its job is due. A due job
is enqueued only if no earlier run of it still waits in the queue (a mark in the store,
set atomically, cleared when the run starts): busy workers do not pile up seals, and
several workers share one schedule rather than multiplying it.
"""

from __future__ import annotations

import copy
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from huey import Huey, crontab
from huey.api import PeriodicTask, Task, TaskWrapper
from huey.constants import EmptyData
from huey.consumer import Consumer, Scheduler
from huey.storage import (
    BaseStorage,
    MemoryStorage,
    PostgresStorage,
    PriorityRedisStorage,
    SqliteStorage,
)

from dancu.settings import Settings, get_settings

# The jobs' log lines ("Executing ...", "... executed in 0.012s", "Unhandled exception in
# task ..."): the huey logger at INFO, and the application's own (dancu.*).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOGGERS = ("huey", "dancu")
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # cron schedules are read in Vietnam's time
LOST_AFTER = 300.0  # seconds a scheduled run may wait before it is taken for lost
POLL_SECONDS = 1.0  # an idle worker looks at a polled store (SQLite) at least this often


def store_url(settings: Settings) -> str:
    """The job store's URL: ``DANCU_JOBS_URL``, or the default beside the database."""
    if settings.jobs_url:
        return settings.jobs_url
    database = settings.database_url
    if database.startswith("postgresql"):
        return database
    path = database.split("///", 1)[1] if "///" in database else ""
    if not path or path == ":memory:":
        return "memory://"
    file = Path(path)
    return f"sqlite:///{file.with_name(file.stem + '-jobs' + (file.suffix or '.db'))}"


def make_storage(url: str, name: str) -> BaseStorage:
    if url.startswith(("redis://", "rediss://")):
        return PriorityRedisStorage(name, url=url)
    if url.startswith("postgresql"):
        dsn = "postgresql://" + url.split("://", 1)[1]  # libpq's form, without a +driver
        return PostgresStorage(name, dsn=dsn)
    if url.startswith("sqlite:///"):
        file = Path(url.removeprefix("sqlite:///"))
        file.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStorage(name, filename=str(file))
    if url == "memory://":
        return MemoryStorage(name)
    raise ValueError(f"unknown job store {url!r} (see DANCU_JOBS_URL)")


class Queue(Huey):
    """Huey, with its store built from the settings on first use (and again after reset)."""

    def __init__(self) -> None:
        self._store: BaseStorage | None = None
        self._store_lock = threading.Lock()
        super().__init__("dancu", results=False)

    def create_storage(self) -> None:  # type: ignore[override]
        return None  # built lazily: importing a tasks module must not open a connection

    @property  # type: ignore[override]
    def storage(self) -> BaseStorage:
        with self._store_lock:
            if self._store is None:
                settings = get_settings()
                self._store = make_storage(store_url(settings), settings.jobs_queue)
            return self._store

    @storage.setter
    def storage(self, value: BaseStorage | None) -> None:
        self._store = value

    def reset(self) -> None:
        """Close the store; the next use builds it from the (changed) settings again."""
        with self._store_lock:
            if self._store is not None:
                self._store.close()
            self._store = None

    def create_consumer(self, **options: Any) -> Consumer:
        return _Consumer(self, **options)


queue = Queue()


# ---------------------------------------------------------------------------- schedules


class Schedule(Protocol):
    def due(self, now: datetime, last: datetime | None) -> bool:
        """Whether the job is due at ``now``, its last run having been enqueued at ``last``."""
        ...

    def lost_after(self) -> float:
        """Seconds after which a run still waiting is taken for lost with a dead worker."""
        ...


@dataclass(frozen=True)
class every:  # lower case: it reads as a phrase, @periodic(every(...))
    """Every ``seconds(settings)`` seconds; 0 or less: never."""

    seconds: Callable[[Settings], float]

    def due(self, now: datetime, last: datetime | None) -> bool:
        interval = self.seconds(get_settings())
        if interval <= 0:
            return False
        # The scheduler ticks once a second: half a tick early is on time.
        return last is None or (now - last).total_seconds() + 0.5 >= interval

    def lost_after(self) -> float:
        """A run waiting this long was taken by a worker that died (our jobs on a schedule
        are idempotent, so a second run is harmless and a frequent one must not stall for
        LOST_AFTER: recovery itself would wait five minutes)."""
        return min(LOST_AFTER, max(10.0, 3 * self.seconds(get_settings())))


class cron:
    """Huey's crontab (``minute``, ``hour``, ``day``, ``month``, ``day_of_week``) read in
    Vietnam's time; due once in each matching minute."""

    def __init__(self, **fields: str) -> None:
        self._matches = crontab(**fields)

    def due(self, now: datetime, last: datetime | None) -> bool:
        local = now.astimezone(VIETNAM)
        if not self._matches(local):
            return False
        return last is None or _minute(last) != _minute(now)

    def lost_after(self) -> float:
        return LOST_AFTER


def _minute(moment: datetime) -> tuple[int, ...]:
    return moment.astimezone(VIETNAM).timetuple()[:5]


class _Slot:
    """Decides each second whether a scheduled job is enqueued (Huey's validate_datetime)."""

    def __init__(self, name: str, schedule: Schedule) -> None:
        self.name, self.schedule = name, schedule
        self.last_key, self.waiting_key = f"dancu:last:{name}", waiting_key(name)

    def __call__(self, _timestamp: datetime) -> bool:
        store, now = queue.storage, time.time()
        last = _stamp(store.peek_data(self.last_key))
        if not self.schedule.due(_at(now), None if last is None else _at(last)):
            return False
        if not store.put_if_empty(self.waiting_key, _bytes(now)):
            waiting = _stamp(store.peek_data(self.waiting_key))
            if waiting is not None and now - waiting < self.schedule.lost_after():
                return False  # an earlier run still waits for a worker
            store.put_data(self.waiting_key, _bytes(now))  # that run was lost with a worker
        store.put_data(self.last_key, _bytes(now))
        return True


def waiting_key(task_name: str) -> str:
    return f"dancu:waiting:{task_name}"


def periodic(schedule: Schedule, **options: Any) -> Callable[[Callable[[], object]], TaskWrapper]:
    """Declare a scheduled job (Huey's ``periodic_task`` options: retries, priority, ...)."""

    def declare(fn: Callable[[], object]) -> TaskWrapper:
        slot = _Slot(f"{fn.__module__}.{fn.__name__}", schedule)  # Huey's name of the task
        return queue.periodic_task(slot, **options)(fn)

    return declare


@queue.pre_execute()
def _clear_waiting(task: Task) -> None:
    """A scheduled run starts: the schedule may enqueue the next one."""
    if isinstance(task, PeriodicTask):
        kind = type(task)
        queue.storage.delete_data(waiting_key(f"{kind.__module__}.{kind.__name__}"))


def _stamp(value: object) -> float | None:
    if value is EmptyData or value is None:
        return None
    raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
    return float(raw.decode())


def _bytes(seconds: float) -> bytes:
    return repr(seconds).encode()


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class _Scheduler(Scheduler):
    periodic_task_seconds = 1  # each schedule decides per second (see _Slot)


class _Consumer(Consumer):
    scheduler_class = _Scheduler


# ---------------------------------------------------------------------------- workers


def worker_id() -> str:
    """This process, as a job's lease names its holder: ``host:boot:pid:start``. The boot
    and the process's start time (Linux ``/proc``) tell a live holder from a reused pid."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{_boot_id()}:{pid}:{_started(pid)}"


def worker_alive(worker: str | None) -> bool | None:
    """Whether the process named by :func:`worker_id` still runs; None when this machine
    cannot tell (another host, or a name it cannot read): then only the lease's age counts."""
    if not worker:
        return None
    host, boot, pid, started = [*worker.rsplit(":", 3), "", "", ""][:4]
    if host != socket.gethostname() or not pid.isdigit():
        return None
    if boot != _boot_id():
        return False  # the machine restarted since: every process of then is gone
    if started and started != "?":
        return _started(int(pid)) == started
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return "?"


def _started(pid: int) -> str:
    """The process's start time in clock ticks after boot, or "" if it does not run."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return ""
    except OSError:
        return "?"
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the name may hold spaces


def consumer(*, workers: int | None = None, periodic: bool = True) -> Consumer:
    """A consumer with ``workers`` threads (default ``DANCU_JOBS_WORKERS``), not started."""
    return queue.create_consumer(
        workers=workers or get_settings().jobs_workers,
        worker_type="thread",
        periodic=periodic,
        max_delay=POLL_SECONDS,
    )


def run_worker(*, workers: int | None = None, periodic: bool = True) -> None:
    """Run a consumer until INT (waits for running jobs) or TERM (stops at once)."""
    consumer(workers=workers, periodic=periodic).run()


class InProcessWorker:
    """A consumer's scheduler and worker threads inside this process (``dancu serve``).

    ``stop`` waits at most ``timeout`` seconds: a long job (a linkage run) dies with the
    process, its heartbeat goes stale, and a worker resumes it later.
    """

    def __init__(self, consumer: Consumer) -> None:
        self.consumer = consumer

    @property
    def threads(self) -> list[threading.Thread]:
        return [self.consumer.scheduler, *(t for _, t in self.consumer.worker_threads)]

    def start(self) -> InProcessWorker:
        for thread in self.threads:  # not Consumer.start: the server owns the signals
            thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.consumer.stop_flag.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))


def server_log_config(base: dict[str, Any]) -> dict[str, Any]:
    """A server's logging configuration (``logging.config.dictConfig``, e.g. uvicorn's
    ``LOGGING_CONFIG``) with the jobs' and the application's loggers at INFO on stderr, so
    the in-process worker's jobs start, finish and fail in the server's log."""
    config = copy.deepcopy(base)
    config.setdefault("formatters", {})["dancu.jobs"] = {"format": LOG_FORMAT}
    config.setdefault("handlers", {})["dancu.jobs"] = {
        "class": "logging.StreamHandler",
        "formatter": "dancu.jobs",
        "stream": "ext://sys.stderr",
    }
    loggers = config.setdefault("loggers", {})
    for name in LOGGERS:
        loggers[name] = {"handlers": ["dancu.jobs"], "level": "INFO", "propagate": False}
    return config


def start_in_process(*, workers: int | None = None) -> InProcessWorker:
    return InProcessWorker(consumer(workers=workers)).start()
