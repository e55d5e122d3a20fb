"""Where the calibration of the records without an ID number goes wrong: one in-memory run
of ``match.link`` on generated data, its calibration labels and records captured, and the
stratum's isotonic map fitted again with one part of the labels swapped for the truth.

``python -m bench.linkage_scale_calibration CITIZENS SEEDS`` (SEEDS: comma-separated data
seeds, pooled at the end). Fits, each evaluated on the run's records without an ID number
against the generator's truth (records per band of calibrated p, share right, mean p):

* ``as fitted``: the run's own labels, unweighted (what ``match_calibration`` did before
  it reweighed the "not in the registry" labels);
* ``outsiders: truth``: the "not in the registry" labels replaced by the best raw p of
  the run's records whose person is not in the registry;
* ``in registry: truth``: the "in the registry" labels replaced by the run's records whose
  person is in the registry (their best raw p, right or not);
* ``outsiders reweighted``: the "not in the registry" labels weighed so that their mix of
  missing fields (date complete / month / year / none, middle name, commune, sex) is the
  outsiders' mix estimated from the run's records without truth (records = (1 - s) x
  labels + s x outsiders, s the estimated share not in the registry: what
  ``match_label_weights.outsider_weights`` does now); ``... (true mix)``: the same with the
  outsiders' true mix.

docs/performance.md ("The lowest band's under-confidence") has the figures.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import pandas as pd

from bench import linkage_data
from dancu.linkage import match_calibration as calib
from dancu.linkage import match_label_weights as label_weights
from dancu.linkage import match_splink
from dancu.linkage.match import link
from dancu.linkage.match_posterior import none_term

_CELL = label_weights.CELL_SQL
BANDS = ((0.5, 0.7), (0.7, 0.9), (0.9, 0.99))


def _capture(citizens: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One run's labels (with their missing-field cell) and its records without an ID
    number (best raw p, best candidate, cell, truth)."""
    reg = linkage_data.registry(citizens, seed=seed)
    sec = linkage_data.sector(reg, citizens // 5, seed=seed + 1)
    got: dict[str, pd.DataFrame] = {}
    calibrate = match_splink.calibrate

    def spy(con: Any, **kw: Any) -> dict[str, Any]:
        same, typo, other = calib._pid_weights(kw["model"])
        c = math.log(none_term(kw["n_registry"], kw["pi"]))
        sql = calib._LABELS_SQL.format(
            prefix=calib.CALIB_PREFIX,
            same=same,
            typo=typo,
            other=other,
            c=repr(c),
            cell=_CELL.format(t=""),
        )
        got["labels"] = con.sql(sql).df()
        got["real"] = con.sql(f"""
            with best as (
              select record_key, max(probability) as p,
                     arg_max(citizen_pid, probability) as pid
              from pairs where not starts_with(record_key, '~') group by all)
            select s.record_key, coalesce(best.p, 0) as p, best.pid,
                   {calib._STRATUM_SQL} as stratum, {_CELL.format(t="s.")} as cell
            from s left join best using (record_key) left join det using (record_key)
            where det.outcome is null""").df()
        return calibrate(con, **kw)

    match_splink.calibrate = spy
    try:
        link(sec.records, reg, backend="duckdb")
    finally:
        match_splink.calibrate = calibrate
    labels = got["labels"]
    real = got["real"][got["real"]["stratum"] == "without_id"].reset_index(drop=True)
    truth = sec.truth.reindex(real["record_key"]).to_numpy()
    real["outsider"] = pd.isna(truth)
    real["right"] = real["pid"].to_numpy() == truth
    return labels, real


def _fits(labels: pd.DataFrame, real: pd.DataFrame) -> dict[str, list[tuple[int, float, float]]]:
    x_in = labels["x_hidden"].to_numpy(float)
    y_in = labels["y_hidden"].to_numpy(float)
    x_out = labels["o_hidden"].to_numpy(float)
    share = label_weights.outside_share(real["p"].to_numpy(float), x_in, x_out)
    mix_l = labels["cell"].value_counts(normalize=True)
    mix_r = real["cell"].value_counts(normalize=True)
    cells = mix_l.index.union(mix_r.index)
    mix_l, mix_r = mix_l.reindex(cells, fill_value=0), mix_r.reindex(cells, fill_value=0)
    estimated = ((mix_r - (1 - share) * mix_l) / share).clip(lower=0)
    estimated /= estimated.sum()
    outsiders, insiders = real[real["outsider"]], real[~real["outsider"]]
    true_mix = outsiders["cell"].value_counts(normalize=True).reindex(cells, fill_value=0)

    def fit(
        mix: pd.Series | None = None,
        xi: np.ndarray = x_in,
        yi: np.ndarray = y_in,
        xo: np.ndarray = x_out,
    ) -> tuple[np.ndarray, np.ndarray]:
        wo = np.ones(len(xo))
        if mix is not None:
            ratio = (mix / mix_l.replace(0, np.nan)).fillna(0)
            wo = ratio.reindex(labels["cell"]).to_numpy(float)
        wo = wo / wo.mean()
        x = np.concatenate([xi, xo])
        y = np.concatenate([yi, np.zeros(len(xo))])
        w = np.concatenate([np.full(len(xi), (1 - share) / len(xi)), wo * share / len(xo)])
        return calib._isotonic(x, y, w)

    fits = {
        "as fitted": fit(),
        "outsiders: truth": fit(xo=outsiders["p"].to_numpy(float)),
        "in registry: truth": fit(
            xi=insiders["p"].to_numpy(float), yi=insiders["right"].to_numpy(float)
        ),
        "outsiders reweighted": fit(estimated),
        "outsiders reweighted (true mix)": fit(true_mix),
    }
    out = {}
    linked = real["pid"].notna().to_numpy()
    for name, mapping in fits.items():
        p = calib._apply(mapping, real["p"].to_numpy(float))
        rows = []
        for lo, hi in BANDS:
            k = (p >= lo) & (p < hi) & linked
            rows.append((int(k.sum()), float(real["right"][k].sum()), float(p[k].sum())))
        out[name] = rows
    return out


def _show(name: str, rows: list[tuple[int, float, float]]) -> str:
    parts = [
        f"[{lo:g}, {hi:g}) {r / n:.3f} at {p / n:.3f} ({n})" if n else f"[{lo:g}, {hi:g}) -"
        for (lo, hi), (n, r, p) in zip(BANDS, rows, strict=True)
    ]
    return f"  {name:32s} " + "; ".join(parts)


def main(citizens: int, seeds: list[int]) -> None:
    pooled: dict[str, list[list[float]]] = {}
    for seed in seeds:
        labels, real = _capture(citizens, seed)
        print(f"data seed {seed}: {len(real):,} records without an ID number", flush=True)
        for name, rows in _fits(labels, real).items():
            print(_show(name, rows), flush=True)
            acc = pooled.setdefault(name, [[0, 0.0, 0.0] for _ in BANDS])
            for a, row in zip(acc, rows, strict=True):
                for i in range(3):
                    a[i] += row[i]
    print("pooled")
    for name, acc in pooled.items():
        print(_show(name, [(int(a[0]), a[1], a[2]) for a in acc]))


if __name__ == "__main__":
    main(int(sys.argv[1]), [int(s) for s in sys.argv[2].split(",")])
