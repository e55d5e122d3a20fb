"""The steps every civil-status event shares: the idempotency key (a retry returns the event
already recorded; a key reused for anything else is refused), the citizen locked for the
change, and the event written with its audit entries and outbox message in one transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common import audit, outbox
from dancu.common.access import Actor
from dancu.common.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from dancu.registry import events
from dancu.registry import repository as repo
from dancu.registry import validation as rules
from dancu.registry.errors import RegistryErrorCode
from dancu.registry.models import Citizen, CivilEvent
from dancu.registry.schemas import CivilEventOut

KEY_FIELD = "Idempotency-Key"


def existing_event(
    session: Session, key: str | None, *, kind: str, actor: Actor
) -> CivilEventOut | None:
    """The event already recorded under ``key`` (a retry), if any."""
    if not key:
        return None
    event = session.scalars(select(CivilEvent).where(CivilEvent.idempotency_key == key)).first()
    if event is None:
        return None
    if event.kind != kind or event.registered_by != actor.id:
        raise Conflict(
            "This idempotency key was already used for another request",
            code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
            field=KEY_FIELD,
        )
    return event_out(session, event)


def event_out(session: Session, event: CivilEvent) -> CivilEventOut:
    pid = repo.citizen_pids(session, [event.citizen_id])[event.citizen_id]
    return CivilEventOut(
        id=event.id,
        kind=event.kind,
        occurred_on=event.occurred_on,
        registered_at=event.registered_at,
        registered_by=event.registered_by,
        citizen_pid=pid,
        details=dict(event.details or {}),
    )


def writable_citizen(session: Session, actor: Actor, pid: str, field: str = "pid") -> Citizen:
    """The citizen in the actor's area, locked for the change (404 outside it)."""
    try:
        clean = rules.valid_pid(pid)
    except ValidationFailed as exc:
        exc.field = field
        raise
    citizen = repo.citizen_by_pid_for_update(session, actor, clean)
    if citizen is None:
        raise NotFound(
            "No citizen with this ID number", code=RegistryErrorCode.CITIZEN_NOT_FOUND, field=field
        )
    return citizen


def record_event(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    citizen: Citizen,
    occurred_on: date,
    details: dict[str, Any],
    key: str | None,
    other: Citizen | None = None,
    fields: tuple[str, ...],
) -> CivilEventOut:
    """Write the event, its audit entries and its outbox message (one transaction)."""
    event = CivilEvent(
        kind=kind,
        citizen_id=citizen.id,
        other_citizen_id=other.id if other else None,
        occurred_on=occurred_on,
        details=details,
        registered_by=actor.id,
        idempotency_key=key,
    )
    session.add(event)
    flush_event(session, key)
    audit.record_many(
        session,
        actor,
        action=f"civil_status.{kind}",
        subject_type="citizen",
        subject_ids=[citizen.pid] + ([other.pid] if other else []),
        purpose="civil_status",
        fields=fields,
    )
    outbox.emit(
        session,
        events.CIVIL_STATUS_TOPICS[kind],
        {"event_id": event.id, "pid": citizen.pid, **details},
    )
    return event_out(session, event)


def flush_event(session: Session, key: str | None) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent request with the same key committed first
        if not key:
            raise
        raise Conflict(
            "A request with this idempotency key is already being processed",
            code=ErrorCode.IDEMPOTENCY_IN_PROGRESS,
            field=KEY_FIELD,
        ) from exc
