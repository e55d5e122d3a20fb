"""The exchange's background work: sealing and signing the message log, linking the
insurer's cards, and answering the birth procedure's insurance-card request."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR
from dancu.common.jobs import every, periodic, queue
from dancu.common.outbox import Dispatcher, dispatcher
from dancu.db import get_sessionmaker
from dancu.db.uow import unit_of_work
from dancu.exchange import events
from dancu.exchange.insurance import service as insurance
from dancu.exchange.messagelog import service as messagelog
from dancu.exchange.partners import service as partners

log = logging.getLogger(__name__)
UNREGISTERED = ("00000", "Chưa đăng ký nơi khám chữa bệnh ban đầu")


@periodic(every(lambda settings: settings.audit_seal_seconds), priority=10)
def seal_message_log() -> int:
    """Chain and sign the message-log entries committed since the last seal."""
    total = 0
    while True:
        with unit_of_work(get_sessionmaker()) as session:
            sealed = messagelog.seal(session)
        total += sealed
        if sealed < 5000:
            return total


@queue.task(retries=3, retry_delay=30, retry_backoff=2)
def link_insurance_cards(province_code: str) -> None:
    """Link a province's unlinked cards (the linkage engine, one transaction)."""
    with unit_of_work(get_sessionmaker()) as session:
        metrics = insurance.link_cards(session, province_code, actor=SYSTEM_ACTOR)
    log.info("insurance cards of %s linked: %s", province_code, metrics.get("linked"))


def on_cards_received(session: Session, payload: dict[str, Any]) -> None:
    """Outbox handler: the insurer's cards committed; link them, a job per province."""
    for province in payload.get("provinces", []):
        link_insurance_cards(str(province))


def on_insurance_card_requested(session: Session, payload: dict[str, Any]) -> None:
    """Outbox handler: the birth procedure asks the insurer for the newborn's card; the
    card is registered at the hospital named in the request, else at the first hospital
    partner of the newborn's province, else at none yet."""
    code, name = payload.get("facility_code"), payload.get("facility_name")
    if not code:
        hospital = partners.default_facility(session)
        code, name = (hospital.facility_code, hospital.name) if hospital else UNREGISTERED
    insurance.issue_for_newborn(
        session,
        str(payload.get("child_pid") or payload["pid"]),
        actor=SYSTEM_ACTOR,
        facility_code=str(code),
        facility_name=str(name),
        dossier=payload.get("dossier"),
    )


def subscribe(target: Dispatcher = dispatcher) -> None:
    target.subscribe(events.INSURANCE_CARDS_RECEIVED, on_cards_received)
    target.subscribe(events.INSURANCE_CARD_REQUESTED, on_insurance_card_requested)
