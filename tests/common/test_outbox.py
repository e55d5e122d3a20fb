"""The outbox: events commit with the change and reach their handlers after the commit.

Every test uses its own topic, so events that other tests left in the database never reach
these handlers, and subscribes its handlers through a fixture that unsubscribes them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dancu.common import audit, outbox
from dancu.common.outbox import MAX_ATTEMPTS, OutboxEvent
from dancu.db import utcnow
from dancu.db.uow import unit_of_work

PAYLOAD = {"citizen_pid": "066090100001", "death_date": "2026-01-10"}


class Recorder:
    """A handler that records what it received and fails while ``failure`` is set."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.failure: Exception | None = None

    def __call__(self, session: Session, payload: dict[str, Any]) -> None:
        if self.failure is not None:
            raise self.failure
        self.calls.append(payload)


@pytest.fixture
def topic() -> str:
    return f"test.{uuid.uuid4().hex[:12]}"


@pytest.fixture
def subscribe() -> Iterator[Callable[[str, outbox.Handler], None]]:
    added: list[tuple[str, outbox.Handler]] = []

    def _subscribe(topic: str, handler: outbox.Handler) -> None:
        outbox.dispatcher.subscribe(topic, handler)
        added.append((topic, handler))

    yield _subscribe
    for topic, handler in added:
        outbox.dispatcher.unsubscribe(topic, handler)


@pytest.fixture
def recorder(topic, subscribe) -> Recorder:  # type: ignore[no-untyped-def]
    handler = Recorder()
    subscribe(topic, handler)
    return handler


def _events(session: Session, topic: str) -> list[tuple[dict[str, Any], int, str | None, bool]]:
    """(payload, attempts, last_error, delivered) of the topic's events, oldest first."""
    rows = session.execute(
        select(
            OutboxEvent.payload,
            OutboxEvent.attempts,
            OutboxEvent.last_error,
            OutboxEvent.dispatched_at.is_not(None),
        )
        .where(OutboxEvent.topic == topic)
        .order_by(OutboxEvent.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_handler_runs_after_commit_with_the_payload(factory, session, topic, recorder):
    with unit_of_work(factory) as uow:
        outbox.emit(uow, topic, PAYLOAD)
        uow.flush()
        assert recorder.calls == []  # nothing is delivered before the commit
    assert recorder.calls == [PAYLOAD]
    assert _events(session, topic) == [(PAYLOAD, 1, None, True)]


def test_a_failed_unit_of_work_leaves_no_event_and_calls_no_handler(
    factory, session, topic, recorder
):
    with pytest.raises(RuntimeError, match="registration failed"), unit_of_work(factory) as uow:
        outbox.emit(uow, topic, PAYLOAD)
        uow.flush()
        raise RuntimeError("registration failed")
    assert recorder.calls == []
    assert _events(session, topic) == []


def test_a_failing_handler_leaves_the_event_for_a_later_dispatch(factory, session, topic, recorder):
    recorder.failure = ConnectionError("bank offline")
    with unit_of_work(factory) as uow:  # the unit of work itself succeeds
        outbox.emit(uow, topic, PAYLOAD)
    assert recorder.calls == []
    assert _events(session, topic) == [(PAYLOAD, 1, "ConnectionError: bank offline", False)]

    recorder.failure = None
    outbox.dispatch_pending(factory)
    assert recorder.calls == [PAYLOAD]
    assert _events(session, topic) == [(PAYLOAD, 2, "ConnectionError: bank offline", True)]


def test_a_failing_handlers_writes_are_rolled_back(factory, session, topic, subscribe, system):
    def audit_then_fail(handler_session: Session, payload: dict[str, Any]) -> None:
        audit.record(
            handler_session,
            system,
            action="benefit.stop",
            subject_type="citizen",
            subject_id=payload["citizen_pid"],
            purpose="data_maintenance",
        )
        raise ValueError("no such programme")

    subscribe(topic, audit_then_fail)
    with unit_of_work(factory) as uow:
        outbox.emit(uow, topic, PAYLOAD)
    assert audit.trail(session, "citizen", PAYLOAD["citizen_pid"]) == []
    assert _events(session, topic) == [(PAYLOAD, 1, "ValueError: no such programme", False)]


def test_a_handlers_writes_commit_with_the_delivery(factory, session, topic, subscribe, system):
    def stop_benefits(handler_session: Session, payload: dict[str, Any]) -> None:
        audit.record(
            handler_session,
            system,
            action="benefit.stop",
            subject_type="citizen",
            subject_id=payload["citizen_pid"],
            purpose="data_maintenance",
        )

    subscribe(topic, stop_benefits)
    with unit_of_work(factory) as uow:
        outbox.emit(uow, topic, PAYLOAD)
    [entry] = audit.trail(session, "citizen", PAYLOAD["citizen_pid"])
    assert (entry.action, entry.actor_id) == ("benefit.stop", system.id)


def test_each_event_is_delivered_once(factory, session, topic, recorder):
    with unit_of_work(factory) as uow:
        outbox.emit(uow, topic, PAYLOAD)
    outbox.dispatch_pending(factory)
    outbox.dispatch_pending(factory)
    assert recorder.calls == [PAYLOAD]
    assert _events(session, topic) == [(PAYLOAD, 1, None, True)]


def test_every_handler_of_the_topic_gets_the_event(factory, topic, subscribe, recorder):
    second = Recorder()
    subscribe(topic, second)
    subscribe(topic, second)  # subscribing twice does not deliver twice
    with unit_of_work(factory) as uow:
        outbox.emit(uow, topic, PAYLOAD)
    assert (recorder.calls, second.calls) == ([PAYLOAD], [PAYLOAD])


def test_an_unsubscribed_handler_is_not_called(factory, topic, recorder):
    outbox.dispatcher.unsubscribe(topic, recorder)
    with unit_of_work(factory) as uow:
        outbox.emit(uow, topic, PAYLOAD)
    assert recorder.calls == []


def test_a_failing_event_does_not_block_the_next(factory, session, topic, recorder, subscribe):
    other_topic, other = f"{topic}.other", Recorder()
    subscribe(other_topic, other)
    recorder.failure = RuntimeError("down")
    with unit_of_work(factory) as uow:
        outbox.emit(uow, topic, {"n": 1})
        outbox.emit(uow, other_topic, {"n": 2})
    assert other.calls == [{"n": 2}]
    assert _events(session, topic) == [({"n": 1}, 1, "RuntimeError: down", False)]


def test_an_event_is_given_up_after_max_attempts(factory, session, topic, recorder):
    recorder.failure = RuntimeError("down")
    with unit_of_work(factory) as uow:
        outbox.emit(uow, topic, PAYLOAD)
    for _ in range(MAX_ATTEMPTS):  # one more than the attempts left
        outbox.dispatch_pending(factory)
    recorder.failure = None
    outbox.dispatch_pending(factory)
    assert recorder.calls == []
    assert _events(session, topic) == [(PAYLOAD, MAX_ATTEMPTS, "RuntimeError: down", False)]


def test_a_unit_of_work_without_events_dispatches_nothing(factory, session, topic, recorder):
    with unit_of_work(factory) as uow:
        assert outbox.emitted_in(uow) is False
    assert recorder.calls == []


def test_committed_work_stays_inside_the_test_transaction(engine, factory, topic):
    """The fixtures' promise: a unit of work's commit only releases a savepoint.

    Checked from a second connection: the row must not be visible there.
    """
    with unit_of_work(factory) as uow:  # an event already delivered: nothing to dispatch
        uow.add(OutboxEvent(topic=topic, payload=PAYLOAD, attempts=1, dispatched_at=utcnow()))
    count = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == topic)
    # A reader: an IMMEDIATE begin would wait for the test transaction's write lock on SQLite.
    with engine.connect().execution_options(sqlite_reader=True) as observer:
        leaked = observer.execute(count).scalar_one()
        if leaked:  # clean up what escaped, so other tests do not see it
            observer.execute(delete(OutboxEvent).where(OutboxEvent.topic == topic))
            observer.commit()
    assert leaked == 0
