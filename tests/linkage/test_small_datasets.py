"""A dataset of a few records (a commune's first list, a test upload) is linked like any
other: the records that agree on the ID number sync, and a run never fails because the
probabilistic model has too few records to learn from."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dancu.linkage import runs, service, tasks
from tests.linkage import world as wd
from tests.linkage.test_jobs import outcomes


@pytest.mark.parametrize("picked", [[1], [6], [4], [5, 6], [1, 2, 3, 4, 5, 6]])
def test_a_run_over_a_few_records_links_them(
    factory: sessionmaker[Session], picked: list[int]
) -> None:
    with factory() as session:
        w = wd.build(session)
        lines = wd.social_insurance_csv(w).splitlines()
        text = "\n".join([lines[0], *(lines[i] for i in picked)]) + "\n"
        out = service.import_dataset(
            session,
            text.encode(),
            file_name="bhxh.csv",
            source_type="social_insurance",
            province_code=wd.PROVINCE,
            actor=wd.clerk(),
            today=wd.TODAY,
        )
        session.commit()
        job = runs.enqueue_run(session, out.source.id, actor=wd.clerk())
        session.commit()
    done = tasks.run_job(factory, job.id)
    assert (done.status, done.error) == ("done", None)
    with factory() as session:
        found = outcomes(session, out.source.id)
    assert len(found) == len(picked)
    if 1 in picked:  # line 2 of the file: ID number, name and birth date agree
        assert found[2] == ("synced", w.pid(0))


@pytest.mark.parametrize("citizens", [2, 3, 10])
def test_a_registry_of_a_few_citizens_links(citizens: int) -> None:
    """The ID number's "one keystroke" u is bounded by one pair among very few; it must not
    take more than the "different" level leaves (three citizens made that u -0.33)."""
    from bench import linkage_data
    from dancu.linkage.match import link

    reg = linkage_data.registry(citizens, seed=1)
    sec = linkage_data.sector(reg, citizens, seed=2).records.assign(pid=None)  # all scored
    # numbers handed out in sequence, as a test or a new commune's registry has them:
    # every pair of them is one keystroke apart
    reg = reg.assign(pid=[f"0010900000{i:02d}" for i in range(len(reg))])
    result = link(sec, reg, backend="duckdb")
    assert len(result.outcomes) == len(sec)
