"""Sync rates per dataset and per commune on the hand-made set, and reports."""

from __future__ import annotations

import pytest

from dancu.common.access import Role
from dancu.common.errors import Forbidden, NotFound
from dancu.linkage import service
from tests.conftest import make_actor
from tests.linkage import world as wd

HALF = wd.FILLER // 2  # filler citizens alternate between commune A and commune B


def test_rates_per_dataset_and_per_commune(factory, linked) -> None:  # type: ignore[no-untyped-def]
    _, source_id = linked
    with factory() as session:
        rows = service.sync_rates(session, actor=make_actor(Role.STEERING_VIEWER, units=()))
    overall, *communes = rows
    # Lines 2, 3, 6 and every filler line synced; 4 and 5 differ; 7 not found; 8 rejected.
    assert (overall.level, overall.source_id, overall.records) == ("dataset", source_id, 216)
    assert overall.counts == {"synced": 3 + wd.FILLER, "synced_with_differences": 2, "not_found": 1}
    assert overall.rate == pytest.approx(215 / 216)
    by_code = {r.commune_code: r for r in communes}
    assert set(by_code) == {wd.COMMUNE_A, wd.COMMUNE_B}
    a, b = by_code[wd.COMMUNE_A], by_code[wd.COMMUNE_B]
    assert (a.records, a.synced, a.commune_name) == (4 + HALF, 4 + HALF, "Phường Tân Lập")
    assert a.counts == {"synced": 2 + HALF, "synced_with_differences": 2}
    assert (b.records, b.counts) == (2 + HALF, {"synced": 1 + HALF, "not_found": 1})
    assert b.rate == pytest.approx((1 + HALF) / (2 + HALF))
    assert b.to_dict()["rate"] == round((1 + HALF) / (2 + HALF), 4)


def test_a_commune_leader_sees_only_their_commune(factory, linked) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        leader = make_actor(Role.COMMUNE_LEADER, units=(wd.COMMUNE_B,))
        rows = service.sync_rates(session, actor=leader)
        assert [(r.level, r.commune_code) for r in rows] == [
            ("dataset", None),
            ("commune", wd.COMMUNE_B),
        ]
        assert (rows[0].records, rows[0].counts) == (rows[1].records, rows[1].counts)
        report = service.report(session, rows[0].source_id, actor=leader)
        assert report.overall.records == 2 + HALF and report.problems == []
        with pytest.raises(Forbidden):
            service.sync_rates(session, actor=make_actor(Role.PROCEDURE_OFFICER))
        other_province = make_actor(Role.STEERING_VIEWER, units=("01",))
        assert service.sync_rates(session, actor=other_province) == []


def test_the_report_has_rates_problems_and_the_last_run(factory, linked) -> None:  # type: ignore[no-untyped-def]
    _, source_id = linked
    with factory() as session:
        report = service.report(session, source_id, actor=wd.clerk())
        assert report.overall.records == 216 and len(report.communes) == 2
        assert [(p.line, p.code, p.rejected) for p in report.problems if p.rejected] == [
            (8, "name.missing", True)
        ]
        assert report.job is not None and report.job.status == "done"
        with pytest.raises(NotFound):
            service.report(session, source_id, actor=make_actor(Role.REGISTRY_CLERK, units=("01",)))


def test_records_of_deceased_citizens_are_counted(factory, linked) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from dancu.linkage import runs, tasks

    w, source_id = linked
    with factory() as session:
        assert service.report(session, source_id, actor=wd.clerk()).deceased == 0
        citizen = session.merge(w.citizens[4])
        citizen.status, citizen.death_date = "deceased", date(2025, 6, 1)
        job = runs.enqueue_run(session, source_id, actor=wd.clerk())
        session.commit()
    assert tasks.run_job(factory, job.id).status == "done"
    with factory() as session:
        assert service.report(session, source_id, actor=wd.clerk()).deceased == 1
