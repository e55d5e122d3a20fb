"""The demo's dossiers: every state, consistent with the queues and the figures."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import Role
from dancu.procedures import console, figures
from dancu.procedures.demo import seed_procedures_demo
from dancu.procedures.models import Dossier
from tests.conftest import COMMUNE, PROVINCE, make_actor
from tests.registry.factories import person


def test_seed_gives_every_state_and_working_queues(session: Session) -> None:
    for n, name in enumerate(("An", "Bình", "Cường", "Dũng", "Hà", "Lan")):
        person(session, f"Nguyễn Văn {name}", birth_date=date(1970 + n, 1, 2))
    system = make_actor(Role.SYSTEM, units=())
    today = date(2026, 3, 2)
    written = seed_procedures_demo(session, PROVINCE, 7, actor=system, dossiers=300, today=today)
    assert written == 300
    states = Counter(session.scalars(select(Dossier.status)))
    assert set(states) == {
        "draft",
        "submitted",
        "processing",
        "supplement",
        "approved",
        "rejected",
        "withdrawn",
    }
    clerk = make_actor(Role.PROCEDURE_OFFICER, units=(COMMUNE,))
    assert console.queue(session, clerk, today=today).total > 0
    fig = figures.figures(
        session, clerk, unit=COMMUNE, period_from=date(2025, 1, 1), period_to=today
    )
    assert fig.dossiers_total > 0 and fig.decided_on_time > 0 and fig.components_reused > 0
