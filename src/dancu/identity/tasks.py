"""Outbox handlers: the registry's events that change accounts.

``subscribe`` is called once at start-up by the app and the CLI (``dancu.app``,
``dancu.cli``): a death closes the account; a residence change moves the account's commune
(so statistics count it where the citizen lives).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from dancu.common import adminunits
from dancu.common.jobs import every, periodic
from dancu.common.outbox import Dispatcher, dispatcher
from dancu.db import get_sessionmaker, utcnow
from dancu.db.uow import unit_of_work
from dancu.identity.accounts import history
from dancu.identity.accounts.models import Account
from dancu.identity.accounts.service import close_for_death
from dancu.identity.auth import passkeys
from dancu.identity.oidc import tokens as oidc_tokens
from dancu.registry import events as registry_events


def on_citizen_died(session: Session, payload: dict[str, Any]) -> None:
    close_for_death(session, str(payload["pid"]))


def on_citizen_moved(session: Session, payload: dict[str, Any]) -> None:
    target = payload.get("to") or {}
    unit = adminunits.find_commune(str(target.get("commune_code", "")))
    if unit is None:
        return
    session.execute(
        update(Account)
        .where(Account.citizen_pid == str(payload["pid"]))
        .values(commune_code=unit.code, province_code=unit.province_code)
    )


def subscribe(target: Dispatcher = dispatcher) -> None:
    target.subscribe(registry_events.CITIZEN_DIED, on_citizen_died)
    target.subscribe(registry_events.CITIZEN_MOVED, on_citizen_moved)


def purge_expired(factory: sessionmaker[Session]) -> int:
    """What can no longer be used or kept: expired codes, pushed requests, seen JWT ids,
    dead tokens, passkey challenges, and account history past its retention. The job
    :func:`maintenance` runs it every ``DANCU_MAINTENANCE_SECONDS``; returns how many rows went."""
    now = utcnow()
    with unit_of_work(factory) as session:
        return (
            oidc_tokens.purge_expired(session, now)
            + passkeys.purge_challenges(session, now=now)
            + history.purge_history(session, now=now)
        )


@periodic(every(lambda settings: settings.maintenance_seconds), retries=2, retry_delay=60)
def maintenance() -> int:
    """The scheduled purge of expired identity rows."""
    return purge_expired(get_sessionmaker())
