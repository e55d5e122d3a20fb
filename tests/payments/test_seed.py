"""The demo's payments: two programmes, three paid cycles, a late death flagged."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dancu.common.access import SYSTEM_ACTOR
from dancu.payments import figures, seed, tasks
from dancu.payments.models import Cycle, Instruction
from tests.conftest import PROVINCE
from tests.registry.factories import person


def test_the_demo_pays_three_months_of_two_programmes(
    session: Session, factory: sessionmaker[Session]
) -> None:
    tasks.subscribe()
    for n, given in enumerate(("An", "Bình", "Cường", "Dũng", "Giang", "Hải")):
        person(session, f"Nguyễn Văn {given}", birth_date=date(1938, 1, 1 + n))
        person(session, f"Trần Thị {given}", birth_date=date(1975, 2, 1 + n), sex="F")
    session.commit()
    out = seed.seed_payments(factory, province_code=PROVINCE, today=date(2026, 12, 3), size=9)
    assert out.beneficiaries == 9 and out.cycles == 6 and out.flagged == 2
    months = sorted(set(session.scalars(select(Cycle.month))))
    assert months == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    unpaid = session.scalar(
        select(func.count()).select_from(Instruction).where(Instruction.status != "paid")
    )
    assert unpaid == session.scalar(  # only the funeral allowance, approved, not yet paid
        select(func.count())
        .select_from(Instruction)
        .where(Instruction.channel == "cash", Instruction.status == "pending")
    )
    rows = figures.figures(session, actor=SYSTEM_ACTOR)
    assert sum(r.flagged for r in rows) == 2
    assert {r.programme for r in rows} >= {"social_assistance", "merit_allowance"}
    assert any(r.cashless_share is not None and 0 < r.cashless_share < 1 for r in rows)
