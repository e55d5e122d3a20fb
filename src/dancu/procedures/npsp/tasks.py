"""The national portal's outbox handler and delivery job.

``subscribe`` queues every dossier status change for the portal (``outbound.enqueue``);
the job ``deliver_to_portal`` runs every ``DANCU_PROCEDURES_NPSP_SECONDS`` and sends what
is due through the publisher the settings name: HTTP when ``DANCU_PROCEDURES_NPSP_URL`` is
set, else JSON lines appended to ``DANCU_PROCEDURES_NPSP_FILE``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dancu.common.jobs import every, periodic
from dancu.common.outbox import Dispatcher, dispatcher
from dancu.db import get_sessionmaker
from dancu.procedures import events
from dancu.procedures.npsp import outbound
from dancu.procedures.npsp.publishers import FilePublisher, HttpPublisher, Publisher
from dancu.settings import get_settings


def on_status_changed(session: Session, payload: dict[str, Any]) -> None:
    outbound.enqueue(session, payload)


def subscribe(target: Dispatcher = dispatcher) -> None:
    target.subscribe(events.DOSSIER_STATUS_CHANGED, on_status_changed)


def publisher() -> Publisher:
    settings = get_settings()
    if settings.procedures_npsp_url:
        return HttpPublisher(settings.procedures_npsp_url, token=settings.procedures_npsp_token)
    return FilePublisher(settings.procedures_npsp_file)


@periodic(every(lambda settings: settings.procedures_npsp_seconds), retries=0)
def deliver_to_portal() -> int:
    """Send the status changes that are due to the national portal."""
    return outbound.deliver_pending(get_sessionmaker(), publisher())
