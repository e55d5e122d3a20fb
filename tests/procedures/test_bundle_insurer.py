"""The birth bundle across domains: the procedures' request reaches the insurer (exchange),
whose card completes the dossier's insurer step. Both outbox handlers run as the dispatcher
runs them, on the payloads the other domain really emits."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import Role
from dancu.common.outbox import OutboxEvent
from dancu.exchange import events as exchange_events
from dancu.exchange import tasks as exchange_tasks
from dancu.procedures import console, events
from dancu.procedures import repository as repo
from dancu.procedures import service as dossiers
from dancu.procedures import tasks as procedures_tasks
from tests.procedures.helpers import BIRTH_FORM, TODAY, citizen_with_account, key, officer, pdf


def _payloads(session: Session, topic: str) -> list[dict]:  # type: ignore[type-arg]
    session.flush()  # the handlers only add their events; the dispatcher commits them
    rows = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic))
    return [row.payload for row in rows]


def test_the_insurers_card_completes_the_birth_dossier(session: Session) -> None:
    assert events.INSURANCE_CARD_ISSUED == exchange_events.INSURANCE_CARD_ISSUED
    assert events.INSURANCE_CARD_REQUESTED == exchange_events.INSURANCE_CARD_REQUESTED
    _mother, applicant = citizen_with_account(session, "Phạm Thị Hoa", sex="F")
    dossier = dossiers.save(
        session,
        applicant,
        "1.013124",
        BIRTH_FORM,
        [pdf("birth_certificate")],
        key=key(),
        submit=True,
        today=TODAY,
    )
    code = dossier.code or ""
    console.approve(session, officer(), code, today=TODAY)
    console.approve(session, replace(officer(Role.POLICE), id="officer:police"), code, today=TODAY)
    assert dossier.status != "approved"  # the insurer's step still waits

    [request] = _payloads(session, events.INSURANCE_CARD_REQUESTED)
    exchange_tasks.on_insurance_card_requested(session, request)
    [issued] = _payloads(session, exchange_events.INSURANCE_CARD_ISSUED)
    assert issued["pid"] == dossier.result["child_pid"] and issued["dossier"] == code
    procedures_tasks.on_insurance_card_issued(session, issued)

    assert dossier.status == "approved"
    steps = repo.steps_of(session, dossier.id)
    assert [s.status for s in steps] == ["done", "done", "done"]
    assert steps[2].outcome["insurance_number"] == issued["card_number"]


def test_a_card_issued_outside_a_dossier_concerns_no_dossier(session: Session) -> None:
    procedures_tasks.on_insurance_card_issued(session, {"card_number": "TE1", "pid": "0"})
