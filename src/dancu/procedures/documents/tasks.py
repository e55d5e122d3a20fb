"""Outbox handlers of the documents: an approved dossier's result is signed and issued; a
citizen's new account receives what their earlier dossiers earned."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dancu.common.outbox import Dispatcher, dispatcher
from dancu.procedures import events
from dancu.procedures.documents import service


def on_result_ready(session: Session, payload: dict[str, Any]) -> None:
    service.issue_result(session, payload)


def on_account_activated(session: Session, payload: dict[str, Any]) -> None:
    service.join_account(session, str(payload["pid"]), int(payload["account_id"]))


def subscribe(target: Dispatcher = dispatcher) -> None:
    target.subscribe(events.RESULT_READY, on_result_ready)
    target.subscribe(events.ACCOUNT_ACTIVATED, on_account_activated)
