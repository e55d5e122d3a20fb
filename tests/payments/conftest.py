from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dancu.common import outbox
from dancu.common.access import SYSTEM_ACTOR
from dancu.payments import programmes, tasks
from dancu.registry import civil_status
from dancu.registry.schemas import DeathIn
from tests.payments import helpers as h


@pytest.fixture
def programmed(session: Session) -> Session:
    """A session whose database holds the programmes, categories and levels."""
    programmes.ensure_programmes(session)
    return session


@pytest.fixture
def overpaid(programmed: Session, factory: sessionmaker[Session]) -> Session:
    """An elder paid for January, February and March, who died on 10 January."""
    tasks.subscribe()
    a = h.elder(programmed)
    h.enrol(programmed, a)
    for month in (h.JAN, h.FEB, h.MAR):
        h.pay_month(programmed, month)
    civil_status.register_death(
        programmed, DeathIn(pid=a.pid, death_date=date(2026, 1, 10)), actor=SYSTEM_ACTOR
    )
    programmed.commit()
    assert outbox.dispatch_pending(factory) >= 1
    programmed.expire_all()
    return programmed
