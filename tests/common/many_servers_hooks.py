"""Test-only hooks loaded into every server process of ``test_many_servers.py``.

A ``sitecustomize`` module on the servers' ``PYTHONPATH`` imports this file, so uvicorn's
spawned worker processes get them too: a job that logs each of its runs, and an outbox
handler that logs each delivery, both into tables the test creates. A duplicate row is a
job run twice or an event delivered twice.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dancu.common.jobs import queue
from dancu.common.outbox import dispatcher
from dancu.db import get_sessionmaker

COUNTED_TOPIC = "test.counted"


@queue.task(name="tests.count_job")
def count_job(key: int) -> None:
    """Log one run of the job ``key`` (its own transaction: a job is a boundary)."""
    with get_sessionmaker()() as session, session.begin():
        session.execute(text("INSERT INTO test_job_log (job_key) VALUES (:k)"), {"k": key})


def log_delivery(session: Session, payload: dict[str, Any]) -> None:
    """Log one delivery of an event, in the dispatcher's transaction (slowly, so that
    several dispatchers overlap)."""
    time.sleep(0.05)
    session.execute(text("INSERT INTO test_delivery_log (n) VALUES (:n)"), {"n": payload["n"]})


def install() -> None:
    if log_delivery not in dispatcher.handlers(COUNTED_TOPIC):
        dispatcher.subscribe(COUNTED_TOPIC, log_delivery)
