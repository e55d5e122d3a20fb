"""Outbox handler of the documents: an approved dossier's result is signed and issued."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dancu.common.outbox import Dispatcher, dispatcher
from dancu.procedures import events
from dancu.procedures.documents import service


def on_result_ready(session: Session, payload: dict[str, Any]) -> None:
    service.issue_result(session, payload)


def subscribe(target: Dispatcher = dispatcher) -> None:
    target.subscribe(events.RESULT_READY, on_result_ready)
