"""The cleaning queue: ordered, scoped to the officer's units, three audited decisions."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dancu.linkage import cleaning, service
from dancu.linkage.models import CleaningDecision, MatchResult, SectorRecord
from tests.conftest import make_actor
from tests.linkage import world as wd


def item_at(session: Session, actor, line: int):  # type: ignore[no-untyped-def]
    page = cleaning.queue(session, actor=actor)
    return next(i for i in page.items if i.line == line)


def audits(session: Session, action: str) -> list[AuditEntry]:
    session.flush()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_queue_lists_open_items_with_their_differences(factory, linked) -> None:  # type: ignore[no-untyped-def]
    w, _source_id = linked
    with factory() as session:
        page = cleaning.queue(session, actor=wd.clerk())
        assert [(i.line, i.outcome) for i in page.items] == [
            (4, "synced_with_differences"),
            (5, "synced_with_differences"),
        ]
        assert page.items[0].differences == {
            "birth_date": {"old": "1979-11-30", "new": "1978-11-30"}
        }
        assert page.items[1].differences["full_name"]["new"] == "Phạm Thị Dung"
        assert page.items[0].citizen_pid == w.pid(2)
        listed = audits(session, "citizen.listed")
        assert sorted(e.subject_id for e in listed) == sorted([w.pid(2), w.pid(3)])
        assert {e.purpose for e in listed} == {"data_maintenance"}


def test_accept_takes_the_registry_values_and_is_audited(factory, linked) -> None:  # type: ignore[no-untyped-def]
    w, _source_id = linked
    officer = wd.commune_clerk(wd.COMMUNE_A)
    with factory() as session:
        item = item_at(session, officer, 4)
        decision = cleaning.accept(session, item.result_id, actor=officer, note="checked the book")
        result = session.get(MatchResult, item.result_id)
        assert result is not None and (result.outcome, result.decided) == ("synced", True)
        assert (decision.action, decision.citizen_pid, decision.decided_by) == (
            "accept",
            w.pid(2),
            officer.id,
        )
        record = session.get(SectorRecord, item.record_id)
        assert record is not None and record.normalized["corrections"] == {
            "birth_date": "1978-11-30"
        }
        entry = audits(session, "linkage.accept")
        assert [(e.subject_id, e.actor_id) for e in entry] == [(w.pid(2), officer.id)]
        assert [i.line for i in cleaning.queue(session, actor=officer).items] == [5]
        with pytest.raises(Conflict):
            cleaning.accept(session, item.result_id, actor=officer)


def test_correct_a_field_settles_the_record_when_nothing_differs(factory, linked) -> None:  # type: ignore[no-untyped-def]
    _w, _ = linked
    officer = wd.clerk()
    with factory() as session:
        item = item_at(session, officer, 5)
        decision = cleaning.correct(
            session, item.result_id, "full_name", "phạm thị dung", actor=officer, note="typo"
        )
        assert (decision.field, decision.old_value, decision.new_value) == (
            "full_name",
            "Phạm Thị Dungg",
            "Phạm Thị Dung",
        )
        result = session.get(MatchResult, item.result_id)
        assert result is not None and (result.outcome, result.differences) == ("synced", {})
        assert [e.fields for e in audits(session, "linkage.correct")] == [
            [f"record={item.record_id}", "full_name"]
        ]


def test_a_bad_correction_is_refused_and_changes_nothing(factory, linked) -> None:  # type: ignore[no-untyped-def]
    officer = wd.clerk()
    with factory() as session:
        item = item_at(session, officer, 4)
        with pytest.raises(ValidationFailed) as bad:
            cleaning.correct(session, item.result_id, "birth_date", "31/02/abc", actor=officer)
        assert (bad.value.code, bad.value.field) == ("linkage.value_invalid", "birth_date")
        with pytest.raises(ValidationFailed) as field:
            cleaning.correct(session, item.result_id, "raw", "x", actor=officer)
        assert field.value.code == "linkage.field"
        assert session.scalars(select(CleaningDecision)).all() == []
        assert audits(session, "linkage.correct") == []


def test_not_a_citizen_of_the_province_sets_the_record_aside(factory, linked) -> None:  # type: ignore[no-untyped-def]
    w, source_id = linked
    officer = wd.clerk()
    with factory() as session:
        item = item_at(session, officer, 4)
        cleaning.not_in_province(session, item.result_id, actor=officer, note="moved to Huế")
        result = session.get(MatchResult, item.result_id)
        assert result is not None and (result.outcome, result.citizen_pid) == (
            "not_in_province",
            None,
        )
        entry = audits(session, "linkage.not_in_province")
        assert [(e.subject_type, e.subject_id) for e in entry] == [("citizen", w.pid(2))]
        overall = service.sync_rates(session, actor=officer, source_id=source_id)[0]
        assert overall.counts["not_in_province"] == 1


@pytest.mark.parametrize("action", ["accept", "correct", "not_in_province"])
def test_an_officer_of_another_commune_is_refused(factory, linked, action: str) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        item = item_at(session, wd.clerk(), 4)  # in commune A
        other = wd.commune_clerk(wd.COMMUNE_B)
        assert [i.line for i in cleaning.queue(session, actor=other).items] == []
        args = ("full_name", "Lê Văn Cường") if action == "correct" else ()
        with pytest.raises(NotFound) as err:
            getattr(cleaning, action)(session, item.result_id, *args, actor=other)
        assert err.value.code == "linkage.result_not_found"
        leader = make_actor(Role.COMMUNE_LEADER, units=(wd.COMMUNE_A,))
        with pytest.raises(Forbidden):
            getattr(cleaning, action)(session, item.result_id, *args, actor=leader)
        result = session.get(MatchResult, item.result_id)
        assert result is not None and (result.outcome, result.decided) == (
            "synced_with_differences",
            False,
        )
        assert session.scalars(select(CleaningDecision)).all() == []
        assert audits(session, f"linkage.{action}") == []


def test_decisions_survive_a_new_run(factory, linked) -> None:  # type: ignore[no-untyped-def]
    from dancu.linkage import runs, tasks

    _w, source_id = linked
    officer = wd.clerk()
    with factory() as session:
        item = item_at(session, officer, 4)
        cleaning.not_in_province(session, item.result_id, actor=officer)
        job = runs.enqueue_run(session, source_id, actor=officer)
        session.commit()
    assert tasks.run_job(factory, job.id).status == "done"
    with factory() as session:
        result = session.get(MatchResult, item.result_id)
        assert result is not None and result.outcome == "not_in_province"
        assert [i.line for i in cleaning.queue(session, actor=officer).items] == [5]


def test_a_probable_match_comes_first_and_accepting_it_links_the_record(factory, linked) -> None:  # type: ignore[no-untyped-def]
    w, source_id = linked
    with factory() as session:  # line 7 was not found; say the engine had proposed citizen 5
        record = session.scalars(
            select(SectorRecord).where(SectorRecord.source_id == source_id, SectorRecord.line == 7)
        ).one()
        stmt = select(MatchResult).where(MatchResult.record_id == record.id)
        result = session.scalars(stmt).one()
        result.outcome, result.citizen_pid, result.probability = "probable_match", w.pid(5), 0.72
        result.differences = {"full_name": {"old": "Đinh Công Không Có", "new": "Võ Thị Phương"}}
        session.flush()
        page = cleaning.queue(session, actor=wd.clerk())
        assert [(i.line, i.outcome) for i in page.items] == [
            (7, "probable_match"),
            (4, "synced_with_differences"),
            (5, "synced_with_differences"),
        ]
        cleaning.accept(session, result.id, actor=wd.clerk())
        assert (result.outcome, result.citizen_pid, result.decided) == ("synced", w.pid(5), True)
        assert record.normalized["corrections"] == {"full_name": "Võ Thị Phương"}
        assert service.sync_rates(session, actor=wd.clerk(), source_id=source_id)[0].counts == {
            "synced": 4 + wd.FILLER,
            "synced_with_differences": 2,
        }
