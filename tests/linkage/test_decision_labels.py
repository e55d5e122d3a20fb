"""Officers' decisions as labels of the next run's calibration (decision_labels,
match_calibration): read through the run's audited path, scored beside the run's records,
weighed so that they correct the run's own labels without outvoting them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from bench import linkage_data
from dancu.common.audit import AuditEntry
from dancu.linkage import cleaning, runs, tasks
from dancu.linkage import match_calibration as calib
from dancu.linkage.match import link
from dancu.linkage.models import LinkageJob
from tests.linkage import world as wd


def _labels(n: int, seed: int) -> dict[str, np.ndarray]:
    """The run's own labels, calibrated as they are: a record at raw p is right with
    probability p (in the registry); the best other candidate is spread low."""
    rng = np.random.default_rng(seed)
    x = np.where(rng.random(n) < 0.3, rng.uniform(0.5, 1.0, n), rng.uniform(0.99, 1.0, n))
    y = (rng.random(n) < x).astype(float)
    out = rng.beta(0.5, 6.0, n)
    return {"x_hidden": x, "y_hidden": y, "o_hidden": out, "fold": (np.arange(n) % 2) * 1.0}


def _decided(n: int, at: float, right: float, seed: int) -> dict[str, np.ndarray]:
    """``n`` decisions on records whose best candidate has raw p ``at``, a share ``right``
    of them the accepted citizen (the rest: set aside as not in the province)."""
    rng = np.random.default_rng(seed)
    accepted = rng.random(n) < right
    return {
        "x": np.full(n, at),
        "y": accepted.astype(float),
        "accepted": accepted,
        "fold": (np.arange(n) % 2) * 1.0,
    }


def test_decisions_correct_the_map_where_they_are_many() -> None:
    labels = _labels(10_000, seed=1)
    real = np.concatenate([labels["x_hidden"][:4000], labels["o_hidden"][:1000]])
    _, plain = calib._fit_stratum("without_id", labels, real)
    # The run's labels say a best candidate at raw 0.8 is right ~0.8 of the time; officers
    # found such records right only 30% of the time, in 2,000 decisions.
    part, corrected = calib._fit_stratum(
        "without_id", labels, real, _decided(2000, 0.8, 0.3, seed=2)
    )
    assert plain is not None and corrected is not None
    before = calib._apply(plain, np.array([0.8]))[0]
    after = calib._apply(corrected, np.array([0.8]))[0]
    assert before == pytest.approx(0.8, abs=0.1)
    assert after < before - 0.15
    # ... but never outvote the run's own labels: at most their weight in the bin.
    assert after > 0.3 + 0.1
    used = part["decision_labels"]
    assert used["used"] == 2000 and used["accepted"] + used["rejected"] == 2000
    in_bin = (labels["x_hidden"] >= 0.7) & (labels["x_hidden"] < 0.9)
    own_weight = in_bin.sum() * (1 - part["outside_share"]) / 10_000 * len(real)
    assert used["weight"] <= own_weight + 1  # the run's labels of that bin
    # Far points of the map do not move.
    assert calib._apply(corrected, np.array([0.999]))[0] == pytest.approx(
        calib._apply(plain, np.array([0.999]))[0], abs=0.01
    )


def test_a_handful_of_decisions_moves_nothing_much() -> None:
    labels = _labels(10_000, seed=3)
    real = np.concatenate([labels["x_hidden"][:4000], labels["o_hidden"][:1000]])
    _, plain = calib._fit_stratum("without_id", labels, real)
    part, few = calib._fit_stratum("without_id", labels, real, _decided(5, 0.8, 0.0, seed=4))
    assert plain is not None and few is not None
    # Five decisions, all against the map, in a bin the run's labels fill: the map over the
    # bin moves by a fraction of a point (each weighs as one of the run's labels there).
    grid = np.linspace(0.7, 0.9, 201)
    shift = calib._apply(plain, grid) - calib._apply(few, grid)
    assert 0 < shift.mean() < 0.01 and shift.max() < 0.05
    assert part["decision_labels"]["used"] == 5
    assert part["decision_labels"]["weight"] < 5 * 0.5  # each ~ a label: 4,000 records / 10,000


def test_decisions_are_no_labels_when_the_stratum_cannot_be_calibrated() -> None:
    labels = _labels(100, seed=5)  # too few of the run's own labels
    part, mapping = calib._fit_stratum(
        "without_id", labels, labels["x_hidden"], _decided(3000, 0.8, 0.3, seed=6)
    )
    assert mapping is None and part["method"] == "none"
    assert part["decision_labels"]["used"] == 0


@pytest.fixture(scope="module")
def next_run() -> dict[str, Any]:
    """A first run, officers deciding its queue by the truth (accept the proposed citizen
    when it is the record's, else set the record aside), then the next run: the undecided
    records, the decided ones handed over as labels."""
    # 30,000 / 6,000: at 20,000 / 4,000 the stratum without an ID number had about as many
    # best candidates in [0.5, 0.99) as calibration needs (50), and once in CI it had fewer
    # (the engine's sampling differs between runs), so no stratum took the decisions
    reg = linkage_data.registry(30_000, seed=51)
    sec = linkage_data.sector(reg, 6000, seed=52)
    first = link(sec.records, reg, backend="duckdb").outcomes
    queue = first[
        (first["outcome"] == "probable_match")
        | ((first["outcome"] == "synced_with_differences") & (first["method"] != "id"))
    ]
    queue = queue[queue["citizen_pid"].notna()]
    truth = sec.truth.reindex(queue["record_key"]).to_numpy()
    decided = sec.records.set_index("record_key").loc[queue["record_key"]].reset_index()
    decided["decided_pid"] = queue["citizen_pid"].to_numpy()
    decided["accepted"] = queue["citizen_pid"].to_numpy() == truth
    rest = sec.records[~sec.records["record_key"].isin(decided["record_key"])]
    result = link(rest, reg, backend="duckdb", decisions=decided)
    return {"result": result, "decided": decided, "rest": rest}


def test_the_next_run_calibrates_on_the_decisions(next_run: dict[str, Any]) -> None:
    result, decided = next_run["result"], next_run["decided"]
    assert len(decided) >= 20 and decided["accepted"].any() and (~decided["accepted"]).any()
    summary = result.metrics["calibration"]
    counts = summary["decision_labels"]
    assert counts["decisions"] == len(decided)
    assert 0 < counts["used"] <= counts["decisions"] - counts["settled_without_splink"]
    parts = [p["decision_labels"] for p in summary["strata"].values() if "decision_labels" in p]
    assert sum(p["used"] for p in parts) == counts["used"]
    assert (
        sum(p["accepted"] + p["rejected"] for p in parts)
        == len(decided) - counts["settled_without_splink"]
    )
    assert any(
        p["method"] == "isotonic" and "decision_labels" in p for p in summary["strata"].values()
    )


def test_decided_records_get_no_outcome(next_run: dict[str, Any]) -> None:
    outcomes = next_run["result"].outcomes
    assert sorted(outcomes["record_key"]) == sorted(next_run["rest"]["record_key"])
    assert not outcomes["record_key"].str.startswith(calib.CALIB_PREFIX).any()


def test_a_run_reads_the_decisions_on_behalf_of_its_officer(factory) -> None:  # type: ignore[no-untyped-def]
    """Through ``runs``: decisions of the dataset's queue, read with the run's checks and
    one audit entry, reported in the next run's stored calibration."""
    _, source_id = wd.import_and_run(factory)
    officer = wd.clerk()
    with factory() as session:
        items = {i.line: i for i in cleaning.queue(session, actor=officer).items}
        cleaning.accept(session, items[4].result_id, actor=officer)
        cleaning.not_in_province(session, items[5].result_id, actor=officer)
        job = runs.enqueue_run(session, source_id, actor=officer)
        session.commit()
    done = tasks.run_job(factory, job.id)
    assert done.status == "done", done.error
    with factory() as session:
        stored = session.get(LinkageJob, job.id)
        assert stored is not None and stored.calibration is not None
        # Both were settled by the ID number (name or date nearly agreeing): no label.
        assert stored.calibration["decision_labels"] == {
            "decisions": 2,
            "settled_without_splink": 2,
            "used": 0,
        }
        entries = list(
            session.scalars(select(AuditEntry).where(AuditEntry.action == "linkage.decisions_read"))
        )
        # one a run: the first run read none, the next one the two decisions
        assert [(e.actor_id, e.subject_id, e.purpose) for e in entries] == [
            (officer.id, str(source_id), "data_maintenance"),
        ] * 2
        assert ["count=0" in entries[0].fields, "count=2" in entries[1].fields] == [True, True]
