"""The registry's bulk read for matching: one audit entry, scoped to the province."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import Forbidden, ValidationFailed
from dancu.registry import service as registry
from dancu.registry.repository import MATCHING_COLUMNS
from tests.conftest import make_actor
from tests.linkage import world as wd


def entries(session: Session) -> list[AuditEntry]:
    session.flush()
    stmt = select(AuditEntry).where(AuditEntry.action == "citizen.bulk_read")
    return list(session.scalars(stmt))


def test_one_audit_entry_names_actor_purpose_and_count(session: Session) -> None:
    w = wd.build(session, filler=4)
    wd.person(session, "Ngoài Tỉnh", commune_code="00004")  # Hà Nội: not read
    rows = registry.citizens_for_matching(session, wd.PROVINCE, actor=wd.clerk())
    assert sorted(r["pid"] for r in rows) == sorted(c.pid for c in w.citizens + w.filler)
    assert set(rows[0]) >= {"pid", "full_name", "birth_date", "commune_code", "status"}
    (entry,) = entries(session)
    assert (entry.actor_id, entry.purpose, entry.subject_type, entry.subject_id) == (
        wd.clerk().id,
        "data_maintenance",
        "province",
        wd.PROVINCE,
    )
    assert entry.fields[-1] == "count=10"


@pytest.mark.parametrize(
    ("actor", "error"),
    [
        (make_actor(Role.PROCEDURE_OFFICER), Forbidden),
        (make_actor(Role.REGISTRY_CLERK, units=(wd.COMMUNE_A,)), Forbidden),
        (make_actor(Role.REGISTRY_CLERK, units=("01",)), Forbidden),
    ],
    ids=["no-permission", "commune-officer", "other-province"],
)
def test_refused_reads_leave_no_trace(session: Session, actor, error) -> None:  # type: ignore[no-untyped-def]
    wd.build(session, filler=2)
    with pytest.raises(error):
        registry.citizens_for_matching(session, wd.PROVINCE, actor=actor)
    assert entries(session) == []


def test_an_unknown_purpose_is_refused(session: Session) -> None:
    with pytest.raises(ValidationFailed):
        registry.citizens_for_matching(session, wd.PROVINCE, actor=wd.clerk(), purpose="curiosity")


def test_the_columnar_read_gives_the_same_citizens_and_the_same_one_audit_entry(
    session: Session,
) -> None:
    w = wd.build(session, filler=4)
    wd.person(session, "Ngoài Tỉnh", commune_code="00004")  # Hà Nội: not read
    rows = registry.citizens_for_matching(session, wd.PROVINCE, actor=wd.clerk())
    table = registry.citizen_columns_for_matching(session, wd.PROVINCE, actor=wd.clerk())
    assert table.column_names == list(MATCHING_COLUMNS)
    expected = [
        {k: v.isoformat() if isinstance(v, date) else v for k, v in r.items()} for r in rows
    ]
    assert table.to_pylist() == expected
    assert len(expected) == len(w.citizens + w.filler)
    first, second = entries(session)
    assert (second.actor_id, second.purpose, second.subject_type, second.subject_id) == (
        wd.clerk().id,
        "data_maintenance",
        "province",
        wd.PROVINCE,
    )
    assert second.fields == first.fields == [*MATCHING_COLUMNS, "count=10"]


@pytest.mark.parametrize(
    ("actor", "purpose"),
    [
        (make_actor(Role.PROCEDURE_OFFICER), "data_maintenance"),
        (make_actor(Role.REGISTRY_CLERK, units=(wd.COMMUNE_A,)), "data_maintenance"),
        (make_actor(Role.REGISTRY_CLERK, units=("01",)), "data_maintenance"),
        (wd.clerk(), "curiosity"),
    ],
    ids=["no-permission", "commune-officer", "other-province", "unknown-purpose"],
)
def test_refused_columnar_reads_leave_no_trace(session: Session, actor, purpose) -> None:  # type: ignore[no-untyped-def]
    wd.build(session, filler=2)
    with pytest.raises((Forbidden, ValidationFailed)):
        registry.citizen_columns_for_matching(session, wd.PROVINCE, actor=actor, purpose=purpose)
    assert entries(session) == []
