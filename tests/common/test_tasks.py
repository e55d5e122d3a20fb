"""The kernel's scheduled jobs do their work when a worker runs them: the audit sealer
chains new entries within seconds, the outbox job delivers events left undelivered.

(The tests of the old ``Periodic`` thread moved to ``test_jobs.py``: a scheduled job runs
repeatedly under a worker; a failing run is logged and the next one still happens.)
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common import audit, audit_chain, outbox
from dancu.common.access import SYSTEM_ACTOR
from dancu.common.outbox import OutboxEvent
from dancu.db import get_sessionmaker
from dancu.db.uow import unit_of_work
from dancu.settings import get_settings
from tests.common.test_jobs import wait_until


def _pending_seals() -> int:
    with get_sessionmaker()() as session:
        return audit_chain.pending(session)


def test_the_worker_seals_new_audit_entries(worker) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work() as session:
        for n in range(3):
            audit.record(
                session,
                SYSTEM_ACTOR,
                action="citizen.read",
                subject_type="citizen",
                subject_id=f"06609000000{n}",
                purpose="inspection",
            )
    assert wait_until(lambda: _pending_seals() == 0, timeout=20)
    with get_sessionmaker()() as session:
        result = audit_chain.verify(session)
        seq, _ = audit_chain.head(session)
    assert result.ok and result.checked == seq >= 3


def test_the_worker_delivers_events_left_undelivered(worker, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Every second, not the default minute: the worker's first run may come before the event
    # below is written (it did once in CI, on Redis), and the next would then be a minute away.
    monkeypatch.setenv("DANCU_OUTBOX_DISPATCH_SECONDS", "1")
    get_settings.cache_clear()  # the schedule reads the interval at each tick
    topic = f"test.{uuid.uuid4().hex[:12]}"
    received: list[dict[str, Any]] = []

    def handler(session: Session, payload: dict[str, Any]) -> None:
        received.append(payload)

    with get_sessionmaker()() as session:  # committed without the unit of work's dispatch
        event = outbox.emit(session, topic, {"pid": "066090000001"})
        session.commit()
        event_id = event.id
    outbox.dispatcher.subscribe(topic, handler)  # as if a crashed process left it behind
    try:

        def delivered() -> bool:
            with get_sessionmaker()() as session:
                stmt = select(OutboxEvent.dispatched_at).where(OutboxEvent.id == event_id)
                return session.scalar(stmt) is not None

        assert wait_until(delivered, timeout=20)
    finally:
        outbox.dispatcher.unsubscribe(topic, handler)
    assert received == [{"pid": "066090000001"}]
