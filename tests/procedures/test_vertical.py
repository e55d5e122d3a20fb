"""The vertical slice: a prefilled dossier is submitted, an officer approves it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.outbox import OutboxEvent
from dancu.procedures import catalogue, console, events
from dancu.procedures import service as dossiers
from dancu.procedures.prefill import prefill
from tests.procedures.helpers import TODAY, citizen_with_account, key, officer, pdf


def test_submit_and_approve(session: Session) -> None:
    c, applicant = citizen_with_account(session)
    proc = catalogue.get("2.000488")  # criminal-record certificate: ID card and residence
    data = prefill(session, proc, applicant)
    assert data.values["pid"] == c.pid
    assert {r.key for r in data.reused if r.kind == "component"} == {
        "application",
        "id_card",
        "residence_proof",
    }
    assert data.asked == []
    applicant2 = applicant.__class__(applicant.pid, applicant.account_id, applicant.name, level=2)
    dossier = dossiers.save(
        session,
        applicant2,
        "2.000488",
        {"certificate_kind": "1"},
        [],
        key=key(),
        submit=True,
        today=TODAY,
    )
    assert dossier.status == "submitted" and dossier.code
    assert dossier.due_on is not None and dossier.fee_amount == 200000
    prov = officer(units=("66",))
    assert console.queue(session, prov).total == 1
    console.approve(session, prov, dossier.code, today=TODAY)
    assert dossier.status == "approved" and dossier.on_time is True
    topics = set(session.scalars(select(OutboxEvent.topic)))
    assert events.DOSSIER_STATUS_CHANGED in topics and events.RESULT_READY in topics


def test_missing_component_refused(session: Session) -> None:
    _c, applicant = citizen_with_account(session, card=False)
    import pytest

    from dancu.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        dossiers.save(
            session,
            applicant,
            "1.004873",
            {"purpose": "Kết hôn"},
            [],
            key=key(),
            submit=True,
            today=TODAY,
        )
    assert err.value.code == "procedures.component_missing"
    dossier = dossiers.save(
        session,
        applicant,
        "1.004873",
        {"purpose": "Kết hôn"},
        [pdf("id_card")],
        key=key(),
        submit=True,
        today=TODAY,
    )
    assert dossier.status == "submitted"
