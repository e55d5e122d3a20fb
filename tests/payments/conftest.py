from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dancu.common import outbox
from dancu.common.access import SYSTEM_ACTOR
from dancu.payments import cycles, programmes, reconcile, tasks
from dancu.payments.simulated import BankNetwork
from dancu.registry import civil_status
from dancu.registry.schemas import DeathIn
from tests.conftest import PROVINCE
from tests.payments import helpers as h


@pytest.fixture
def programmed(session: Session) -> Session:
    """A session whose database holds the programmes, categories and levels."""
    programmes.ensure_programmes(session)
    return session


def _pay(session: Session, month: date) -> None:
    cycle = cycles.prepare_cycle(session, programmes.SOCIAL, PROVINCE, month, actor=h.PREPARER)
    cycles.approve_cycle(session, cycle.id, actor=h.CHECKER)
    for f in cycles.bank_files(session, cycle.id, actor=h.PREPARER):
        _, content = cycles.file_content(session, f.id, actor=h.PREPARER)
        _, notice = BankNetwork().execute(content.encode(), booked_on=month)
        reconcile.import_notification(session, notice, actor=h.PREPARER)


@pytest.fixture
def overpaid(programmed: Session, factory: sessionmaker[Session]) -> Session:
    """An elder paid for January, February and March, who died on 10 January."""
    tasks.subscribe()
    a = h.elder(programmed)
    h.enrol(programmed, a)
    for month in (h.JAN, h.FEB, h.MAR):
        _pay(programmed, month)
    civil_status.register_death(
        programmed, DeathIn(pid=a.pid, death_date=date(2026, 1, 10)), actor=SYSTEM_ACTOR
    )
    programmed.commit()
    assert outbox.dispatch_pending(factory) >= 1
    programmed.expire_all()
    return programmed
