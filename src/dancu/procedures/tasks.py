"""Outbox handlers and jobs of the procedures domain.

``subscribe`` (called by the app and the CLI at start-up) notifies the citizen of each
change of their dossier. ``escalate`` runs every ``DANCU_PROCEDURES_ESCALATE_SECONDS``
(default hourly): each step whose deadline passed is marked and announced once.
``sweep_files`` (hourly) removes stored files no dossier points to (``files.sweep``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR
from dancu.common.jobs import every, periodic
from dancu.common.outbox import Dispatcher, dispatcher
from dancu.db import get_sessionmaker
from dancu.db.uow import unit_of_work
from dancu.procedures import console, events, files, notify
from dancu.procedures.documents import tasks as documents_tasks
from dancu.procedures.npsp import tasks as npsp_tasks


def on_status_changed(session: Session, payload: dict[str, Any]) -> None:
    notify.notify(session, payload)


def on_insurance_card_issued(session: Session, payload: dict[str, Any]) -> None:
    """The insurer answered a birth dossier's request: its insurer step completes (a card
    issued outside a dossier, e.g. by the insurer's own import, concerns no dossier)."""
    if payload.get("dossier"):
        console.record_insurance_card(
            session, str(payload["dossier"]), str(payload["card_number"]), actor=SYSTEM_ACTOR
        )


def subscribe(target: Dispatcher = dispatcher) -> None:
    target.subscribe(events.DOSSIER_STATUS_CHANGED, on_status_changed)
    target.subscribe(events.INSURANCE_CARD_ISSUED, on_insurance_card_issued)
    documents_tasks.subscribe(target)  # an approved result is signed (and goes to the wallet)
    npsp_tasks.subscribe(target)  # every change is queued for the national portal


@periodic(every(lambda settings: settings.procedures_escalate_seconds), retries=2, retry_delay=60)
def escalate() -> int:
    """Escalate the steps whose deadline passed."""
    with unit_of_work(get_sessionmaker()) as session:
        return console.escalate_overdue(session)


@periodic(every(lambda settings: 3600.0), priority=-10)  # housekeeping: after the rest
def sweep_files() -> int:
    """Remove the stored files of submissions that never committed (``files.sweep``)."""
    with unit_of_work(get_sessionmaker()) as session:
        return len(files.sweep(session))
