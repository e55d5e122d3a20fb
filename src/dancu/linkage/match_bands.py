"""The calibration's summary per band of probability (``match_calibration`` fits, this
reports): the labelled records per band of their calibrated (or raw) probability, with
the share right, for each stratum and pooled over the strata; the run's own records per
band (their truth is unknown). The bands are those of the run's report and of
``bench/linkage_scale``."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np

BANDS = ((0.5, 0.7), (0.7, 0.9), (0.9, 0.99), (0.99, 1.0))


def _name(lo: float, hi: float) -> str:
    return f"[{lo:g}, {hi:g}{')' if hi < 1 else ']'}"


def labelled_bands(
    raw: np.ndarray, p: np.ndarray, y: np.ndarray, w: np.ndarray
) -> list[dict[str, Any]]:
    """Per band of ``p``: labelled records, their weight (records of the run they stand
    for), weighted mean raw p, mean p, share right."""
    out = []
    for lo, hi in BANDS:
        mask = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        weight = w[mask].sum()
        if not mask.any() or weight <= 0:
            continue
        out.append(
            {
                "band": _name(lo, hi),
                "records": int(mask.sum()),
                "weight": round(float(weight), 2),
                "mean_raw": round(float(np.average(raw[mask], weights=w[mask])), 4),
                "mean_p": round(float(np.average(p[mask], weights=w[mask])), 4),
                "right": round(float(np.average(y[mask], weights=w[mask])), 4),
            }
        )
    return out


def run_bands(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Per band of the calibrated probability of each unsettled record's best candidate:
    records, mean raw p, mean calibrated p (the run's own records; their truth is unknown)."""
    rows = con.sql("""
        select probability, raw_probability from (
          select *, row_number() over (partition by record_key
                                       order by raw_probability desc, citizen_pid) as rk
          from pairs) where rk = 1
    """).fetchnumpy()
    p = np.asarray(rows["probability"], float)
    raw = np.asarray(rows["raw_probability"], float)
    out = []
    for lo, hi in BANDS:
        mask = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if mask.any():
            out.append(
                {
                    "band": _name(lo, hi),
                    "records": int(mask.sum()),
                    "mean_raw": round(float(raw[mask].mean()), 4),
                    "mean_p": round(float(p[mask].mean()), 4),
                }
            )
    return out


def pooled_bands(strata: dict[str, dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The strata's bands added up (weights: records of each stratum)."""
    out: dict[str, dict[str, float]] = {}
    for part in strata.values():
        for b in part.get(key) or []:
            acc = out.setdefault(
                b["band"], {"records": 0, "w": 0.0, "raw": 0.0, "p": 0.0, "y": 0.0}
            )
            acc["records"] += b["records"]
            acc["w"] += b["weight"]
            for k, src in (("raw", "mean_raw"), ("p", "mean_p"), ("y", "right")):
                acc[k] += b[src] * b["weight"]
    return [
        {
            "band": band,
            "records": acc["records"],
            "weight": round(acc["w"], 2),
            "mean_raw": round(acc["raw"] / acc["w"], 4),
            "mean_p": round(acc["p"] / acc["w"], 4),
            "right": round(acc["y"] / acc["w"], 4),
        }
        for band, acc in out.items()
        if acc["w"] > 0
    ]
