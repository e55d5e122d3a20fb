"""The cycle's registry re-check reads only its beneficiaries, only the fields eligibility
needs, each read audited for that citizen; never the whole province."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR
from dancu.common.audit import AuditEntry
from dancu.common.errors import DancuError
from dancu.payments import cycles, programmes
from dancu.registry import civil_status
from dancu.registry.schemas import ResidenceChangeIn
from dancu.registry.vitals import FIELDS, vitals_by_pid
from tests.conftest import OTHER_PROVINCE_COMMUNE, PROVINCE
from tests.payments import helpers as h
from tests.registry.factories import person


def _reads(session: Session, action: str) -> list[tuple[str, str]]:
    rows = session.execute(
        select(AuditEntry.subject_type, AuditEntry.subject_id).where(AuditEntry.action == action)
    )
    return sorted((r.subject_type, r.subject_id) for r in rows)


def test_prepare_reads_only_the_beneficiaries(programmed: Session) -> None:
    session = programmed
    a, b, moved = h.elder(session), h.elder(session, "Lê Văn Cường"), h.elder(session, "Hà Đi")
    bystander = person(session, "Người Ngoài")  # in the province, not a beneficiary
    for citizen in (a, b, moved):
        h.enrol(session, citizen)
    civil_status.register_residence_change(  # to Hà Nội; no handler moves the beneficiary
        session,
        ResidenceChangeIn(
            pid=moved.pid,
            moved_on=date(2026, 1, 5),
            commune_code=OTHER_PROVINCE_COMMUNE,
            address_detail="1 Tràng Tiền",
        ),
        actor=SYSTEM_ACTOR,
        today=h.TODAY,
    )
    cycle = cycles.prepare_cycle(session, programmes.SOCIAL, PROVINCE, h.JAN, actor=h.PREPARER)
    assert cycle.count == 2
    assert [(e["pid"], e["reason"]) for e in cycle.exclusions] == [(moved.pid, "moved_out")]
    assert _reads(session, "citizen.bulk_read") == []  # the province is not read whole
    read = _reads(session, "citizen.vitals_read")
    assert read == sorted(("citizen", p) for p in (a.pid, b.pid))  # moved: outside the area
    assert ("citizen", bystander.pid) not in read
    fields = session.scalars(
        select(AuditEntry.fields).where(AuditEntry.action == "citizen.vitals_read")
    ).first()
    assert fields == list(FIELDS)


def test_vitals_are_read_in_batches_inside_the_area(session: Session) -> None:
    people = [person(session, f"Người {n}") for n in ("An", "Ba", "Tư", "Năm", "Sáu")]
    far = person(session, "Ở Hà Nội", commune_code=OTHER_PROVINCE_COMMUNE)
    pids = [p.pid for p in people] + [far.pid, "066000000000"]
    found = vitals_by_pid(session, pids, actor=h.PREPARER, purpose="social_assistance", batch=2)
    assert sorted(found) == sorted(p.pid for p in people)  # Hà Nội and unknown: absent
    one = found[people[0].pid]
    assert (one.birth_date, one.status, one.death_date, one.commune_code) == (
        people[0].birth_date,
        "alive",
        None,
        people[0].commune_code,
    )
    assert len(_reads(session, "citizen.vitals_read")) == 5


def test_vitals_need_a_known_purpose_and_a_reader(session: Session) -> None:
    citizen = person(session)
    with pytest.raises(DancuError) as no_purpose:
        vitals_by_pid(session, [citizen.pid], actor=h.PREPARER, purpose=None)
    assert no_purpose.value.code == "purpose.required"
    assert _reads(session, "citizen.vitals_read") == []
