"""The outbox: events written in the same transaction as the change, dispatched after commit.

A service calls ``emit(session, topic, payload)``; the row commits or rolls back with the
change. After the commit, ``dispatch_pending`` delivers undelivered events to the handlers
subscribed to their topic, each event in its own transaction, so a failing handler is
retried later without blocking the others. ``dancu outbox dispatch`` does the same from the
command line (for events left over after a crash).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from dancu.db import Base, UTCDateTime, is_postgres, utcnow

Handler = Callable[[Session, dict[str, Any]], None]
MAX_ATTEMPTS = 10


class OutboxEvent(Base):
    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_pending", "dispatched_at", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    topic: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Dispatcher:
    """Topic -> handlers. The app and CLI wire each domain's handlers at start-up."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._wiring: list[Callable[[], None]] = []

    def wire_before_delivery(self, wire: Callable[[], None]) -> None:
        """Have ``wire`` (which subscribes handlers) called once, before handlers are first
        looked up: the CLI imports the domains' handlers only when it delivers an event."""
        self._wiring.append(wire)

    def subscribe(self, topic: str, handler: Handler) -> None:
        if handler not in self._handlers[topic]:
            self._handlers[topic].append(handler)

    def unsubscribe(self, topic: str, handler: Handler) -> None:
        if handler in self._handlers.get(topic, []):
            self._handlers[topic].remove(handler)

    def handlers(self, topic: str) -> list[Handler]:
        while self._wiring:  # removed once it has run: a failed wiring is tried again
            self._wiring[0]()
            self._wiring.pop(0)
        return list(self._handlers.get(topic, []))


dispatcher = Dispatcher()


def emit(session: Session, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record an event in the caller's transaction."""
    event = OutboxEvent(topic=topic, payload=payload, attempts=0)
    session.add(event)
    session.info["outbox_emitted"] = True
    return event


def emitted_in(session: Session) -> bool:
    return bool(session.info.get("outbox_emitted"))


def dispatch_pending(factory: sessionmaker[Session], *, limit: int = 500) -> int:
    """Deliver pending events; returns how many were delivered."""
    delivered = 0
    with factory() as session:
        stmt = (
            select(OutboxEvent.id)
            .where(OutboxEvent.dispatched_at.is_(None), OutboxEvent.attempts < MAX_ATTEMPTS)
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
        ids = list(session.scalars(stmt))
    for event_id in ids:
        if _deliver_one(factory, event_id):
            delivered += 1
    return delivered


def _deliver_one(factory: sessionmaker[Session], event_id: int) -> bool:
    with factory() as session:
        stmt = select(OutboxEvent).where(
            OutboxEvent.id == event_id, OutboxEvent.dispatched_at.is_(None)
        )
        if is_postgres(session):
            stmt = stmt.with_for_update(skip_locked=True)
        event = session.scalars(stmt).first()
        if event is None:
            return False  # delivered meanwhile by another worker
        try:
            with session.begin_nested():
                for handler in dispatcher.handlers(event.topic):
                    handler(session, dict(event.payload))
        except Exception as exc:  # a handler failed: keep the event for a retry
            event.attempts += 1
            event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            session.commit()
            return False
        event.attempts += 1
        event.dispatched_at = utcnow()
        session.commit()
        return True
