"""Inter-connected procedures (Decree 63/2024): one dossier, several agencies, one result."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import Role
from dancu.common.errors import DancuError
from dancu.common.outbox import OutboxEvent
from dancu.procedures import console, events
from dancu.procedures import repository as repo
from dancu.procedures import service as dossiers
from dancu.registry import service as registry
from tests.conftest import PROVINCE, make_actor
from tests.procedures.helpers import (
    BIRTH_FORM,
    TODAY,
    citizen_with_account,
    key,
    officer,
    pdf,
)
from tests.registry.factories import person

READER = make_actor(Role.SYSTEM, units=())


def _topics(session: Session) -> list[str]:
    return [e.topic for e in session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]


def test_birth_residence_and_insurance_card(session: Session) -> None:
    mother, applicant = citizen_with_account(session, "Phạm Thị Hoa", sex="F")
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
    steps = repo.steps_of(session, dossier.id)
    assert [(s.agency, s.status) for s in steps] == [
        ("justice", "active"),
        ("police", "waiting"),
        ("social_insurance", "waiting"),
    ]
    with pytest.raises(DancuError) as err:  # the police cannot take the justice step
        console.approve(session, officer(Role.POLICE), code, today=TODAY)
    assert err.value.code == "procedures.wrong_agency"
    console.approve(session, officer(), code, today=TODAY)
    child_pid = dossier.result["child_pid"]
    child = registry.get_citizen(session, child_pid, actor=READER, purpose="civil_status")
    assert child.full_name == "Trần Minh Khôi" and child.birth_date == date(2026, 2, 20)
    assert child.commune_code == mother.commune_code and child.household_no
    assert dossier.status == "submitted" and dossier.current_step == 2
    police = replace(officer(Role.POLICE), id="officer:police")
    console.approve(session, police, code, today=TODAY)
    assert events.INSURANCE_CARD_REQUESTED in _topics(session)
    requested = [
        e.payload
        for e in session.scalars(select(OutboxEvent))
        if e.topic == events.INSURANCE_CARD_REQUESTED
    ]
    assert requested[0]["child_pid"] == child_pid
    # the insurer's step waits at the province until the insurer answers
    commune_clerk = officer()
    assert all(i.code != code for i in console.queue(session, commune_clerk).items)
    provincial = officer(units=(PROVINCE,))
    assert [i.agency for i in console.queue(session, provincial).items] == ["social_insurance"]
    console.record_insurance_card(session, code, "TE1660000000001", actor=READER)
    assert dossier.status == "approved"
    steps = repo.steps_of(session, dossier.id)
    assert [s.status for s in steps] == ["done", "done", "done"]
    assert steps[2].outcome["insurance_number"] == "TE1660000000001"


def test_death_residence_removal_and_funeral_allowance(session: Session) -> None:
    deceased = person(session, "Ngô Văn Tư", birth_date=date(1940, 1, 1))
    _c, applicant = citizen_with_account(session, "Ngô Thị Năm", sex="F")
    dossier = dossiers.save(
        session,
        applicant,
        "1.013125",
        {"deceased_pid": deceased.pid, "death_date": "01/03/2026"},
        [pdf("death_notice")],
        key=key(),
        submit=True,
        today=TODAY,
    )
    code = dossier.code or ""
    console.approve(session, officer(), code, today=TODAY)
    record = registry.get_citizen(session, deceased.pid, actor=READER, purpose="civil_status")
    assert record.status == "deceased" and record.death_date == date(2026, 3, 1)
    console.approve(session, officer(Role.POLICE), code, today=TODAY)
    opened = [
        e.payload
        for e in session.scalars(select(OutboxEvent))
        if e.topic == events.FUNERAL_ALLOWANCE_OPENED
    ]
    assert opened == [
        {
            "dossier": code,
            "deceased_pid": deceased.pid,
            "death_date": "2026-03-01",
            "claimant_pid": applicant.pid,
            "commune_code": dossier.unit_code,
        }
    ]
    console.approve(session, officer(), code, today=TODAY)  # labour decides the allowance
    assert dossier.status == "approved"


def test_a_refused_registry_call_leaves_the_step_open(session: Session) -> None:
    _c, applicant = citizen_with_account(session, "Đỗ Thị Mai", sex="F")
    form = {**BIRTH_FORM, "child_birth_date": "20/02/2030"}  # in the future
    dossier = dossiers.save(
        session,
        applicant,
        "1.013124",
        form,
        [pdf("birth_certificate")],
        key=key(),
        submit=True,
        today=TODAY,
    )
    with pytest.raises(DancuError), session.begin_nested():
        console.approve(session, officer(), dossier.code or "", today=TODAY)
    session.refresh(dossier)
    assert dossier.status == "submitted" and dossier.current_step == 1
    assert repo.steps_of(session, dossier.id)[0].status == "active"
