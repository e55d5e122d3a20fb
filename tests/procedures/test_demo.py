"""The demo's dossiers: every state, consistent with the queues and the figures."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu import settings
from dancu.common.access import Role
from dancu.procedures import console, figures, files
from dancu.procedures.demo import seed_procedures_demo
from dancu.procedures.documents import signing
from dancu.procedures.models import Dossier
from tests.conftest import COMMUNE, PROVINCE, make_actor
from tests.registry.factories import person


@pytest.fixture(autouse=True)
def ca_dir(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DANCU_PROCEDURES_CA_DIR", str(tmp_path / "procedures-ca"))
    settings.get_settings.cache_clear()
    yield
    settings.get_settings.cache_clear()


def test_the_newest_approved_dossiers_have_a_signed_result_that_verifies(
    session: Session,
) -> None:
    for n, name in enumerate(("An", "Bình", "Cường")):
        person(session, f"Trần Văn {name}", birth_date=date(1970 + n, 1, 2))
    system = make_actor(Role.SYSTEM, units=())
    seed_procedures_demo(
        session, PROVINCE, 3, actor=system, dossiers=80, today=date(2026, 3, 2), signed=3
    )
    approved = session.scalars(
        select(Dossier)
        .where(Dossier.status == "approved")
        .order_by(Dossier.decided_at.desc(), Dossier.id.desc())
    ).all()
    assert len(approved) > 3
    signed = [d for d in approved if d.result.get("pdf_sha256")]
    assert signed == approved[:3]
    for dossier in signed:
        outcome = signing.verify_result(files.read(dossier.result["pdf_sha256"]))
        assert outcome.valid, outcome.code
        assert dossier.result["issued_by"] and dossier.result["number"] == f"{dossier.code}/KQ"


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
