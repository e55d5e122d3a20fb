"""Publishing every dossier status change to the National Public Service Portal.

Two halves, so that nothing is lost or sent twice when the portal is down:

1. ``enqueue`` is the outbox handler of ``procedures.dossier_status_changed``: it adds one
   ``npsp_delivery`` row per change, keyed by the dossier and its version (unique), in the
   outbox's transaction. A change is therefore queued exactly when it committed.
2. ``deliver_pending`` (a scheduled job, ``dancu procedures npsp deliver``) sends the queued
   rows through a publisher in order per dossier: a row is marked delivered only after the
   far end took it; a failure keeps it with a doubling wait (up to ``MAX_WAIT``), and later
   changes of the same dossier wait behind it. Every row is retried until delivered. A crash
   between sending and marking re-sends the row with the same idempotency key, which the
   publishers make count once (``publishers``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dancu.db import is_postgres, utcnow
from dancu.procedures.npsp.inbound import portal_id_of
from dancu.procedures.npsp.models import NpspDelivery
from dancu.procedures.npsp.publishers import Publisher, PublishFailed
from dancu.procedures.npsp.schemas import StatusOut

FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(hours=1)


def event_key(payload: dict[str, Any]) -> str:
    """The change's idempotency key: the dossier and the version the change made."""
    if payload.get("version") is not None:
        return f"{payload['dossier']}:v{payload['version']}"
    return (
        f"{payload['dossier']}:{payload.get('previous')}>{payload['status']}:{payload.get('step')}"
    )


def enqueue(session: Session, payload: dict[str, Any]) -> NpspDelivery | None:
    """Queue a status change for the portal (outbox handler); the same change twice is one."""
    code = payload.get("dossier")
    if not code:
        return None  # a draft has no code and nothing to publish
    key = event_key(payload)
    body = StatusOut(
        event_key=key,
        dossier_code=str(code),
        portal_dossier_id=portal_id_of(session, str(code)),
        status=str(payload["status"]),
        previous=payload.get("previous"),
        procedure_code=payload.get("procedure"),
        due_on=payload.get("due_on"),
        changed_at=utcnow(),
    )
    row = NpspDelivery(
        event_key=key,
        dossier_code=str(code),
        payload=body.model_dump(mode="json"),
        attempts=0,
        next_attempt_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # already queued
    return row


def deliver_pending(
    factory: sessionmaker[Session],
    publisher: Publisher,
    *,
    now: datetime | None = None,
    limit: int = 200,
) -> int:
    """Send what is due, oldest first, in order per dossier; returns how many were delivered."""
    now = now or utcnow()
    with factory() as session:
        stmt = (
            select(NpspDelivery.id, NpspDelivery.dossier_code)
            .where(NpspDelivery.delivered_at.is_(None))
            .order_by(NpspDelivery.id)
            .limit(limit)
        )
        pending = list(session.execute(stmt))
    delivered, blocked = 0, set()
    for row_id, dossier in pending:
        if dossier in blocked:
            continue  # an earlier change of this dossier is still waiting
        if _deliver_one(factory, publisher, row_id, now):
            delivered += 1
        else:
            blocked.add(dossier)
    return delivered


def _deliver_one(
    factory: sessionmaker[Session], publisher: Publisher, row_id: int, now: datetime
) -> bool:
    with factory() as session:
        stmt = select(NpspDelivery).where(
            NpspDelivery.id == row_id, NpspDelivery.delivered_at.is_(None)
        )
        if is_postgres(session):
            stmt = stmt.with_for_update(skip_locked=True)
        row = session.scalars(stmt).first()
        if row is None or row.next_attempt_at > now:
            return False  # another worker holds it, or it waits for its next attempt
        row.attempts += 1
        try:
            publisher.publish(row.event_key, dict(row.payload))
        except PublishFailed as exc:
            row.last_error = str(exc)
            row.next_attempt_at = now + backoff(row.attempts)
            session.commit()
            return False
        row.delivered_at = utcnow()
        row.last_error = None
        session.commit()
        return True


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 30 s, 1 min, 2 min, ... at most an hour."""
    return min(MAX_WAIT, FIRST_WAIT * 2 ** max(0, attempts - 1))


def waiting(session: Session) -> list[NpspDelivery]:
    """The changes not delivered yet, oldest first (for ``dancu procedures npsp status``)."""
    stmt = select(NpspDelivery).where(NpspDelivery.delivered_at.is_(None)).order_by(NpspDelivery.id)
    return list(session.scalars(stmt))
