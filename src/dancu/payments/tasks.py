"""Outbox handlers: the registry's life events, and the procedures domain's funeral event.

``subscribe`` is called once at start-up by the app and the CLI (``dancu.app``,
``dancu.cli``), like ``identity.tasks``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from dancu.common.outbox import Dispatcher, dispatcher
from dancu.payments import events, lifeevents
from dancu.registry import events as registry_events


def on_citizen_died(session: Session, payload: dict[str, Any]) -> None:
    pid = str(payload["pid"])
    if not lifeevents.is_beneficiary(session, pid):
        return
    given = payload.get("death_date")
    died = date.fromisoformat(str(given)) if given else lifeevents.death_date_of(session, pid)
    if died is not None:
        lifeevents.record_death(session, pid, died, source="death_event")


def on_funeral_allowance_opened(session: Session, payload: dict[str, Any]) -> None:
    """The procedures domain's inter-connected death registration opened the allowance
    (its payload names the deceased ``deceased_pid``; ``pid`` is accepted too)."""
    pid = str(payload.get("deceased_pid") or payload["pid"])
    if not lifeevents.is_beneficiary(session, pid):
        return
    given = payload.get("death_date")
    died = date.fromisoformat(str(given)) if given else lifeevents.death_date_of(session, pid)
    if died is not None:
        lifeevents.record_death(session, pid, died, source="procedure")


def on_citizen_moved(session: Session, payload: dict[str, Any]) -> None:
    target = payload.get("to") or {}
    lifeevents.record_move(session, str(payload["pid"]), str(target.get("commune_code", "")))


def subscribe(target: Dispatcher = dispatcher) -> None:
    target.subscribe(registry_events.CITIZEN_DIED, on_citizen_died)
    target.subscribe(registry_events.CITIZEN_MOVED, on_citizen_moved)
    target.subscribe(events.FUNERAL_ALLOWANCE_OPENED, on_funeral_allowance_opened)
