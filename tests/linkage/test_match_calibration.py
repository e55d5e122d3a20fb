"""The calibration of match probabilities (match_calibration): fitted on labels, checked
out of fold, left raw (with the reason) when labels are too few, stored with the run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bench import linkage_data
from dancu.linkage import match_calibration as calib
from dancu.linkage import match_label_weights as label_weights
from dancu.linkage.match import link


def _labels(n: int, seed: int) -> dict[str, np.ndarray]:
    """Over-confident raw probabilities: a record at raw p is right with probability p**4
    (in the registry); its best other candidate (as if not in the registry) is spread low."""
    rng = np.random.default_rng(seed)
    x = np.where(rng.random(n) < 0.3, rng.uniform(0.5, 1.0, n), rng.uniform(0.99, 1.0, n))
    y = (rng.random(n) < x**4).astype(float)
    out = rng.beta(0.5, 6.0, n)
    fold = (np.arange(n) % 2).astype(float)
    return {"x_hidden": x, "y_hidden": y, "o_hidden": out, "fold": fold}


def test_isotonic_fit_is_calibrated_on_held_out_labels() -> None:
    labels = _labels(20_000, seed=1)
    real = np.concatenate([labels["x_hidden"][:4000], labels["o_hidden"][:1000]])
    part, mapping = calib._fit_stratum("without_id", labels, real)
    assert part["method"] == "isotonic" and mapping is not None
    assert part["outside_share"] == pytest.approx(0.2, abs=0.05)
    for band in part["held_out_bands"]:
        assert band["right"] == pytest.approx(band["mean_p"], abs=0.05), band
    # The raw probabilities were over-confident in the middle band; the map lowers them.
    raw_mid = next(b for b in part["raw_bands"] if b["band"] == "[0.7, 0.9)")
    assert raw_mid["right"] < raw_mid["mean_raw"] - 0.1
    assert calib._apply(mapping, np.array([0.8]))[0] < 0.7


def test_mixture_share_is_recovered() -> None:
    rng = np.random.default_rng(2)
    inside = np.clip(rng.beta(20, 1, 5000), 0, 1)
    outside = np.where(rng.random(5000) < 0.7, 0.0, rng.beta(1, 8, 5000))
    real = np.concatenate([rng.choice(inside, 700), rng.choice(outside, 300)])
    assert label_weights.outside_share(real, inside, outside) == pytest.approx(0.3, abs=0.05)


def test_too_few_labels_leave_the_probabilities_raw_and_say_why() -> None:
    labels = _labels(100, seed=3)
    part, mapping = calib._fit_stratum("without_id", labels, labels["x_hidden"])
    assert mapping is None and part["method"] == "none"
    assert "too few labels" in part["reason"] and "100" in part["reason"]
    part, mapping = calib._fit_stratum("without_id", None, labels["x_hidden"])
    assert mapping is None and part["method"] == "none"


@pytest.fixture(scope="module")
def linked() -> dict[str, Any]:
    reg = linkage_data.registry(20_000, seed=41)
    sec = linkage_data.sector(reg, 4000, seed=42)
    return {"result": link(sec.records, reg, backend="duckdb"), "truth": sec.truth}


def test_a_run_reports_its_calibration(linked: dict[str, Any]) -> None:
    result = linked["result"]
    stored = result.metrics["calibration"]
    assert stored is result.outcomes.attrs["calibration"]  # what a run stores
    assert result.metrics["calibration_records"] > 500
    assert set(stored["strata"]) == set(calib.STRATA)
    for part in stored["strata"].values():
        assert part["method"] in ("isotonic", "none")
        assert part["method"] == "isotonic" or part["reason"]
    assert stored["run_bands"] and all(b["mean_p"] <= 1 for b in stored["run_bands"])
    # The calibration labels are not outcomes: one outcome per sector record, no more.
    keys = result.outcomes["record_key"]
    assert not keys.str.startswith(calib.CALIB_PREFIX).any() and keys.is_unique


def test_calibrated_probabilities_keep_precision(linked: dict[str, Any]) -> None:
    out, truth = linked["result"].outcomes, linked["truth"]
    accepted = linkage_data.score(out, truth, include_review=False)
    assert accepted["precision"] >= 0.99 and accepted["recall"] >= 0.97
    probable = out[out["outcome"] == "probable_match"]
    assert probable["probability"].between(0, 1).all()


def test_isotonic_pools_adjacent_violators() -> None:
    x = np.array([0.1, 0.2, 0.3, 0.4])
    y = np.array([1.0, 0.0, 1.0, 1.0])
    mapping = calib._isotonic(x, y, np.ones(4))
    got = calib._apply(mapping, np.array([0.15, 0.35, 0.05]))
    assert got[0] == pytest.approx(0.5) and got[1] == pytest.approx(1.0)
    assert np.all(np.diff(mapping[1]) >= 0) and got[2] <= 0.5


def test_isotonic_agrees_with_scikit_learn() -> None:
    isotonic = pytest.importorskip("sklearn.isotonic")
    rng = np.random.default_rng(5)
    x, w = rng.random(3000), rng.random(3000) + 0.5
    y = (rng.random(3000) < x**3).astype(float)
    ours = calib._isotonic(x, y, w)
    theirs = isotonic.IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(
        np.r_[x, 0, 1], np.r_[y, 0, 1], sample_weight=np.r_[w, 1e-6, 1e-6]
    )
    grid = np.linspace(0, 1, 501)
    assert np.allclose(calib._apply(ours, grid), theirs.predict(grid), atol=1e-9)


@pytest.mark.parametrize("u_typo", [3e-7, None], ids=["counted", "default"])
def test_labels_weigh_a_written_id_number_as_the_linker_scores_it(u_typo: float | None) -> None:
    """The labels of records with an ID number are scored with the number hidden and the
    ID comparison's weight added afterwards; the weight must be the one the predicting
    linker gives the same pair, whether the level has a u ("one keystroke": counted from
    the registry) or not (Splink scores it with its default u). The labels once took 0,
    which put the "typo" stratum's labels far below its real records and made its middle
    bands over-confident (at 1,000,000 / 200,000 in memory: 0.33 right at a mean p of 0.77
    in [0.7, 0.9))."""
    import math

    import pandas as pd
    from splink import DuckDBAPI, Linker

    from dancu.linkage import match_training as training
    from dancu.linkage.match_model import settings

    built = settings(1e-5, phone=False).get_settings("duckdb")
    training.apply(built.comparisons, u={"pid": {2: 5e-6, 1: u_typo, 0: 1 - 5.3e-6}})
    model = built.as_dict()  # what a run predicts with (``match_splink``)
    record = {
        "unique_id": "a",
        **{"name_folded": "nguyen van an", "family": "nguyen", "middle": "van", "given": "an"},
        **{"birth_date": "1990-05-17", "birth_ym": "1990-05", "birth_md": "05-17"},
        **{"birth_year": 1990, "birth_date_swapped": None, "sex": "M", "phone": None},
        **{"commune_code": "24121", "province_code": "66", "address": None},
        **{"tf_family": 0.1, "tf_given": 0.01, "tf_middle": 0.1},
    }
    db = DuckDBAPI()
    linker = Linker(db.register(pd.DataFrame([record | {"pid": None}])), model)

    def weight(pid: str | None) -> float:
        left = record | {"pid": pid}
        right = record | {"unique_id": "b", "pid": "066090000123"}
        got = linker.inference.score_pair(left, right).as_pandas_dataframe()
        return float(got["match_weight"][0]) * math.log(2)

    same, typo, other = calib._pid_weights(model)
    hidden = weight(None)
    assert weight("066090000123") - hidden == pytest.approx(same, abs=1e-6)
    assert weight("066090000124") - hidden == pytest.approx(typo, abs=1e-6)
    assert typo > 1  # a typo in the ID number is evidence, not nothing
    assert weight("079090555555") - hidden == pytest.approx(other, abs=1e-6)


def test_outsider_labels_are_reweighed_to_the_outsiders_missing_fields() -> None:
    """The labels for people not in the registry come from records with errors, which lack
    fields more often than the people who are not in the registry; their weights give
    them the outsiders' mix, estimated from the records alone: records = (1 - s) x labels
    + s x outsiders."""
    rng = np.random.default_rng(9)
    cells = np.array(["d000", "y000", "d010"], dtype=object)
    labels = rng.choice(cells, 20_000, p=[0.6, 0.2, 0.2])
    inside = rng.choice(cells, 8_000, p=[0.6, 0.2, 0.2])  # reach Splink as the labels do
    outside = rng.choice(cells, 2_000, p=[0.9, 0.05, 0.05])
    real = np.concatenate([inside, outside])
    w = label_weights.outsider_weights(labels, real, 0.2)
    assert w is not None and w.mean() == pytest.approx(1.0)
    for cell, share in zip(cells, [0.9, 0.05, 0.05], strict=True):
        assert w[labels == cell].sum() / w.sum() == pytest.approx(share, abs=0.03)
    assert label_weights.outsider_weights(labels, real, 0.0) is None  # nobody outside: no weights
