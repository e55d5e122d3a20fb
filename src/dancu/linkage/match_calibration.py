"""Calibration of the probabilistic stage's record-level probabilities, fitted per run.

The posterior (``match_posterior``) rests on assumptions — comparisons independent given
the match status, m and u estimated on other pairs, a blocking loss assumed — and its
probabilities were over-confident between 0.5 and 0.99 (records at a mean of 0.60 right
29% of the time, at 0.82 55%). This module measures and corrects that on labels the run
itself provides, without any truth from outside:

* **In the registry**: records linked by a valid ID number whose name and birth date agree
  (the ID number's citizen is theirs), scored again *with the ID number hidden*, through
  the same blocking, comparisons and posterior as the records that have no ID number. The
  label is whether the best candidate is the ID number's citizen. Records the exact stage
  would settle without the ID number are left out: the records that reach Splink are
  those the deterministic stages could not settle.
* **Not in the registry**: the same records with their own citizen taken out of the
  candidates (posterior recomputed without it): a person who is not in the registry, whose
  best candidate is wrong by construction.

Three strata, fitted apart: records **without an ID number** (labels scored with the ID
number hidden); records whose ID number **is in the registry** but whose name and date
disagreed with that citizen's (labels scored with it written: the model's log m/u of "ID
number equal" added to the own citizen, of "different" to the others); records with a
valid ID number **not in the registry** (the own citizen gets the "one keystroke" weight
— a typo in the number — the others "different": a person who is not in the registry but
writes a valid ID number differs from every candidate on it, which the hidden-ID labels
would miss). In each stratum the share of records whose person is not in the registry is
estimated from the run's own records: the mixture of the two labelled distributions of the
best raw probability (binned, "no candidate" a bin of its own) that fits the stratum's
records best, by expectation maximisation.

An isotonic regression of the label on the raw probability of the best candidate, the two
kinds of labels weighed by that share, maps raw to calibrated probabilities; the run
applies it to every pair of the stratum (the decision's threshold is then a probability of
being right). It is checked out of fold (two halves by a hash of the record key, each
calibrated by the fit on the other) and the summary per band (``match_bands``) —
labelled records, the run's records they stand for, mean raw p, mean calibrated p, share
right — is returned with the map, for the run's report. With too few labels a stratum's
probabilities are left raw and the summary says why.

The ID number's weights added to the labels are those the predicting linker applies
(:func:`_pid_weights`). Officers' past decisions on the dataset's records (``accept``, ``not
in the province``; read by ``decision_labels``) are scored beside the run's records and
join their stratum's labels (:func:`with_decisions`, :func:`split_decisions`,
:func:`_decision_weights`); the summary says how many were read and used.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dancu.linkage.match_bands import labelled_bands, pooled_bands
from dancu.linkage.match_label_weights import (
    CELL_SQL,
    MIX_EDGES,
    REWEIGHED,
    outside_share,
    outsider_weights,
)
from dancu.linkage.match_posterior import none_term

CALIB_PREFIX = "~calib:"
# Records an officer decided on (``decision_labels``), scored with the run's records: keyed
# under CALIB_PREFIX too, so the posterior's share and the outcomes leave them out.
DECISION_PREFIX = CALIB_PREFIX + "decided:"
CALIB_SAMPLE = 10_000  # ID-linked records re-scored with their ID number hidden, at most
MIN_CALIB_LABELS = 500  # fewer labelled records than this: probabilities left raw
MIN_UNCERTAIN = 50  # ... or fewer best candidates (own or not) with a raw p in [0.5, 0.99)
# Records left to Splink, calibrated apart: without an ID number; with one that is in the
# registry (the deterministic stage found it, but name and date disagreed); with a valid
# one that is not in the registry (a typo in it, or a person who is not in the registry).
STRATA = ("without_id", "id_in_registry", "id_not_in_registry")
_STRATUM_SQL = """case when s.pid is null then 'without_id'
     when det.method = 'id' then 'id_in_registry' else 'id_not_in_registry' end"""


def sample_sql(seed: int) -> str:
    """Table ``calib_src``: up to :data:`CALIB_SAMPLE` ID-linked records (name and date
    agreeing with the ID number's citizen, ``true_pid``) with the ID number hidden, leaving
    out those the exact stage would settle without it."""
    return f"""
    create table calib_src as
    with hits as (
      select s.* replace (cast(null as varchar) as pid), det.citizen_pid as true_pid
      from s join det using (record_key)
      where det.method = 'id' and det.outcome is not null
    ), exact as (
      select h.record_key
      from hits h join r on h.name_folded = r.name_folded and h.birth_date = r.birth_date
                        and h.sex = r.sex and h.commune_code = r.commune_code
      group by h.record_key having count(*) = 1
    )
    select * from hits
    where record_key not in (select record_key from exact)
    order by hash(record_key || '{seed}calib')
    limit {CALIB_SAMPLE}
    """


_LABELS_SQL = """
with p as (
  select * from pairs where starts_with(record_key, '{prefix}')
), t as (
  select '{prefix}' || record_key as record_key, true_pid, {cell} as cell from calib_src
), scored as (  -- log Bayes factors with the ID number hidden; written and equal to
                --  the own citizen's ("kept"); written with a typo ("typo")
  select p.record_key, p.citizen_pid = t.true_pid as own, p.log_bf as hidden,
         p.log_bf + case when p.citizen_pid = t.true_pid then {same!r} else {other!r} end
           as kept,
         p.log_bf + case when p.citizen_pid = t.true_pid then {typo!r} else {other!r} end
           as typo
  from p join t using (record_key)
), tops as (
  select *, greatest({c}, max(hidden) over w) as th, greatest({c}, max(kept) over w) as tk,
         greatest({c}, max(typo) over w) as tt,
         greatest({c}, coalesce(max(case when not own then hidden end) over w, {c})) as thr,
         greatest({c}, coalesce(max(case when not own then kept end) over w, {c})) as tkr
  from scored window w as (partition by record_key)
), post as (  -- posteriors among all candidates, and without the record's own citizen
  select record_key, own,
         exp(hidden - th) / (exp({c} - th) + sum(exp(hidden - th)) over w) as in_hidden,
         exp(kept - tk) / (exp({c} - tk) + sum(exp(kept - tk)) over w) as in_kept,
         exp(typo - tt) / (exp({c} - tt) + sum(exp(typo - tt)) over w) as in_typo,
         case when not own then exp(hidden - thr) / (exp({c} - thr)
           + sum(case when not own then exp(hidden - thr) else 0 end) over w) end as out_hidden,
         case when not own then exp(kept - tkr) / (exp({c} - tkr)
           + sum(case when not own then exp(kept - tkr) else 0 end) over w) end as out_kept
  from tops window w as (partition by record_key)
), best as (
  select record_key,
         arg_max(own, in_hidden) as y_hidden, max(in_hidden) as x_hidden,
         arg_max(own, in_kept) as y_kept, max(in_kept) as x_kept,
         arg_max(own, in_typo) as y_typo, max(in_typo) as x_typo,
         max(out_hidden) as o_hidden, max(out_kept) as o_kept
  from post group by all
)
select t.record_key, t.cell, hash(t.record_key) % 2 as fold,
       coalesce(x_hidden, 0) as x_hidden, coalesce(y_hidden, false) as y_hidden,
       coalesce(x_kept, 0) as x_kept, coalesce(y_kept, false) as y_kept,
       coalesce(x_typo, 0) as x_typo, coalesce(y_typo, false) as y_typo,
       coalesce(o_hidden, 0) as o_hidden, coalesce(o_kept, 0) as o_kept
from t left join best using (record_key)
"""


def with_decisions(
    sector: pa.Table, decisions: pa.Table | None
) -> tuple[pa.Table, pa.Table | None]:
    """The sector input with the records officers decided on appended, keyed
    :data:`DECISION_PREFIX` + record key, and their truth (``record_key, citizen_pid,
    accepted``). ``decisions`` holds the sector columns (the records as the file wrote them,
    not as corrected) and ``decided_pid`` (the citizen accepted or set aside) and
    ``accepted`` (see ``decision_labels``)."""
    if decisions is None or decisions.num_rows == 0:
        return sector, None
    n = decisions.num_rows
    keys = pc.binary_join_element_wise(
        pa.array([DECISION_PREFIX] * n, pa.string()),
        pc.cast(decisions.column("record_key"), pa.string()),
        "",
    )
    columns = []
    for f in sector.schema:
        if f.name == "record_key":
            columns.append(pc.cast(keys, f.type))
        elif f.name in decisions.column_names:
            columns.append(pc.cast(decisions.column(f.name), f.type))
        else:
            columns.append(pa.nulls(n, f.type))
    extra = pa.table(columns, schema=sector.schema)
    truth = pa.table(
        {
            "record_key": keys,
            "citizen_pid": pc.cast(decisions.column("decided_pid"), pa.string()),
            "accepted": pc.cast(decisions.column("accepted"), pa.bool_()),
        }
    )
    return pa.concat_tables([sector, extra]), truth


def split_decisions(con: duckdb.DuckDBPyConnection, truth: pa.Table | None) -> None:
    """After the deterministic stages: move the decided records out of ``s`` and ``det``
    into ``decided_src`` (with their stratum), keeping only those the deterministic stages
    would not settle (labels of the records that reach Splink), and their truth into
    ``decided_truth``. Without decisions both tables are empty."""
    if truth is None:
        truth = pa.table(
            {
                "record_key": pa.array([], pa.string()),
                "citizen_pid": pa.array([], pa.string()),
                "accepted": pa.array([], pa.bool_()),
            }
        )
    con.register("decided_in", truth)
    con.execute("create table decided_truth as select * from decided_in")
    con.unregister("decided_in")
    prefix = f"starts_with(record_key, '{DECISION_PREFIX}')"
    con.execute(f"""
        create table decided_src as
        select s.*, {_STRATUM_SQL} as stratum
        from s left join det using (record_key)
        where starts_with(s.record_key, '{DECISION_PREFIX}') and det.outcome is null
    """)
    con.execute(f"delete from det where {prefix}")
    con.execute(f"delete from s where {prefix}")


def _decision_labels(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, np.ndarray]]:
    """Per stratum, the decided records' labels: the raw probability of their best
    candidate in this run (0 with none), whether it is the citizen the officer accepted
    (a record set aside as not in the province has no right candidate), the decision, and
    the fold (a hash of the key, as the other labels)."""
    have = con.sql(
        "select count(*) from duckdb_tables() where table_name = 'decided_src'"
    ).fetchall()[0][0]
    if not have:
        return {}
    got = con.sql(f"""
        with best as (
          select record_key, max(probability) as x, arg_max(citizen_pid, probability) as pid
          from pairs where starts_with(record_key, '{DECISION_PREFIX}') group by all
        )
        select d.stratum, coalesce(best.x, 0) as x,
               coalesce(t.accepted and best.pid = t.citizen_pid, false) as y,
               t.accepted, hash(d.record_key) % 2 as fold
        from decided_src d join decided_truth t using (record_key)
        left join best using (record_key)
    """).fetchnumpy()
    strata = np.asarray(got["stratum"], dtype=object)
    return {
        k: {
            "x": np.asarray(got["x"], float)[strata == k],
            "y": np.asarray(got["y"], float)[strata == k],
            "accepted": np.asarray(got["accepted"], bool)[strata == k],
            "fold": np.asarray(got["fold"], float)[strata == k],
        }
        for k in STRATA
        if (strata == k).any()
    }


def decision_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Decided records handed to the run, and those of them the deterministic stages would
    settle (no label: they never reach Splink)."""
    have = con.sql(
        "select count(*) from duckdb_tables() where table_name = 'decided_truth'"
    ).fetchall()[0][0]
    if not have:
        return {"decisions": 0, "settled_without_splink": 0}
    read = con.sql("select count(*) from decided_truth").fetchall()[0][0]
    scored = con.sql("select count(*) from decided_src").fetchall()[0][0]
    return {"decisions": int(read), "settled_without_splink": int(read - scored)}


def calibrate(
    con: duckdb.DuckDBPyConnection,
    *,
    n_registry: int,
    pi: float,
    sampled: bool,
    model: dict[str, Any],
) -> dict[str, Any]:
    """Fit the calibration on the ``calib_src`` records' pairs (keyed
    :data:`CALIB_PREFIX`), apply it to table ``pairs`` (which keeps the raw value as
    ``raw_probability``) and drop those pairs; returns the summary (see the module)."""
    labels = _labels(con, n_registry, pi, model) if sampled else None
    decided = _decision_labels(con)
    con.execute(f"delete from pairs where starts_with(record_key, '{CALIB_PREFIX}')")
    real, real_cells = _real_best(con)
    pairs = con.sql(f"""
        select pairs.*, {_STRATUM_SQL} as stratum
        from pairs join s using (record_key) left join det using (record_key)
    """).to_arrow_table()
    raw = pairs.column("probability").to_numpy(zero_copy_only=False).astype(float)
    strata = pairs.column("stratum").to_numpy(zero_copy_only=False)
    calibrated = raw.copy()
    summary: dict[str, Any] = {"method": "isotonic", "strata": {}}
    for stratum in STRATA:
        part, mapping = _fit_stratum(
            stratum, labels, real[stratum], decided.get(stratum), real_cells[stratum]
        )
        summary["strata"][stratum] = part
        if mapping is not None:
            mask = strata == stratum
            calibrated[mask] = _apply(mapping, raw[mask])
    methods = {v["method"] for v in summary["strata"].values() if v.get("records")}
    summary["method"] = (
        "isotonic" if methods == {"isotonic"} else ("partial" if "isotonic" in methods else "none")
    )
    summary["decision_labels"] = {
        **decision_counts(con),
        "used": sum(
            v.get("decision_labels", {}).get("used", 0) for v in summary["strata"].values()
        ),
    }
    summary["held_out_bands"] = pooled_bands(summary["strata"], "held_out_bands")
    summary["raw_bands"] = pooled_bands(summary["strata"], "raw_bands")
    out = (
        pairs.drop_columns(["stratum"])
        .set_column(
            pairs.schema.get_field_index("probability"), "probability", pa.array(calibrated)
        )
        .append_column("raw_probability", pa.array(raw))
    )
    con.register("pairs_calibrated", out)
    con.execute("create or replace table pairs as select * from pairs_calibrated")
    con.unregister("pairs_calibrated")
    return summary


def _labels(
    con: duckdb.DuckDBPyConnection, n_registry: int, pi: float, model: dict[str, Any]
) -> dict[str, np.ndarray]:
    """Per re-scored record: its best candidate's raw probability and whether it is the
    record's own citizen, with the ID number hidden and written, and the best raw
    probability among the other candidates (as if the person were not in the registry)."""
    same, typo, other = _pid_weights(model)
    c = math.log(none_term(n_registry, pi))
    sql = _LABELS_SQL.format(
        prefix=CALIB_PREFIX,
        same=same,
        typo=typo,
        other=other,
        c=repr(c),
        cell=CELL_SQL.format(t=""),
    )
    got = con.sql(sql).fetchnumpy()
    out = {k: np.asarray(got[k], dtype=float) for k in got if k not in ("record_key", "cell")}
    out["cell"] = np.asarray(got["cell"], dtype=object)
    return out


def _pid_weights(model: dict[str, Any]) -> tuple[float, float, float]:
    """log(m / u) of the ID number comparison's "equal", "one keystroke" and "different"
    levels, as the predicting linker applies them: what an ID number written on the record
    adds to a citizen, read from Splink's settings built from the model (a level without
    a u would be scored with Splink's default u; the "one keystroke" level has its u
    counted from the registry, ``match_training.one_keystroke_u``). The labels must use
    the linker's weight: 0 here made the labels of the "typo" stratum far weaker than its
    records, and its middle bands over-confident."""
    from splink import SettingsCreator

    dialect = str(model.get("sql_dialect") or "duckdb")  # "spark" on the Spark backend
    settings = SettingsCreator.from_path_or_dict(model).get_settings(dialect)
    for comparison in settings.comparisons:
        if comparison.output_column_name == "pid":
            levels = [lv for lv in comparison.comparison_levels if not lv.is_null_level]
            return _log_ratio(levels[0]), _log_ratio(levels[1]), _log_ratio(levels[-1])
    return 0.0, 0.0, 0.0


def _log_ratio(level: Any) -> float:
    m, u = level.m_probability, level.u_probability
    if m is None or u is None or m <= 0 or u <= 0:
        return 0.0
    return math.log(m / u)


def _real_best(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The raw probability of the best candidate of every record left to Splink (0 when
    it has none), per stratum (:data:`STRATA`); and the records' cells (``CELL_SQL``)."""
    got = con.sql(f"""
        with best as (select record_key, max(probability) as p from pairs group by all)
        select coalesce(best.p, 0) as p, {_STRATUM_SQL} as stratum,
               {CELL_SQL.format(t="s.")} as cell
        from s left join best using (record_key) left join det using (record_key)
        where det.outcome is null
    """).fetchnumpy()
    p = np.asarray(got["p"], float)
    strata = np.asarray(got["stratum"], dtype=object)
    cells = np.asarray(got["cell"], dtype=object)
    return {k: p[strata == k] for k in STRATA}, {k: cells[strata == k] for k in STRATA}


def _fit_stratum(
    stratum: str,
    labels: dict[str, np.ndarray] | None,
    real: np.ndarray,
    decided: dict[str, np.ndarray] | None = None,
    real_cells: np.ndarray | None = None,
) -> tuple[dict[str, Any], tuple[np.ndarray, np.ndarray] | None]:
    """One stratum's fit: labels with the ID number hidden (records without one), written
    and equal (an ID number in the registry), or written with a typo (a valid ID number
    not in the registry: the own citizen gets the comparison's "one keystroke" weight),
    and the officers' decisions on this stratum's records (:func:`_decision_weights`).
    Records without an ID number: the "not in the registry" labels weighed by their
    missing fields (:func:`outsider_weights`, given the records' ``real_cells``)."""
    if labels is None:
        return {"method": "none", "reason": "no ID-linked records to re-score"}, None
    if not len(real):
        return {"method": "none", "reason": "no record in this stratum", "records": 0}, None
    key = {"without_id": "hidden", "id_in_registry": "kept", "id_not_in_registry": "typo"}[stratum]
    x_in, y_in = labels[f"x_{key}"], labels[f"y_{key}"]
    x_out = labels["o_hidden" if key == "hidden" else "o_kept"]
    fold = labels["fold"]
    outside = outside_share(real, x_in, x_out)
    n = len(x_in)
    x = np.concatenate([x_in, x_out])
    y = np.concatenate([y_in, np.zeros(n)])
    w_out = np.ones(n)
    if stratum in REWEIGHED and real_cells is not None and "cell" in labels:
        got = outsider_weights(labels["cell"], real_cells, outside, MIN_CALIB_LABELS)
        w_out = w_out if got is None else got
    # Each half weighs as the stratum's records do: (1 - outside) in, outside not.
    w = np.concatenate([np.full(n, (1 - outside) / n), w_out * outside / n]) * len(real)
    folds = np.concatenate([fold, fold])
    uncertain = int(((x >= 0.5) & (x < 0.99)).sum())  # in the registry or not
    base: dict[str, Any] = {
        "records": len(real),
        "labels": n,
        "labels_uncertain": uncertain,
        "outside_share": round(outside, 4),
        "outsider_labels_max_weight": round(float(w_out.max()), 2) if n else 0.0,
    }
    if decided is not None and len(decided["x"]):
        w_d = _decision_weights(decided["x"], x, w)
        base["decision_labels"] = {
            "accepted": int(decided["accepted"].sum()),
            "rejected": int((~decided["accepted"]).sum()),
            "used": int((w_d > 0).sum()),
            "weight": round(float(w_d.sum()), 2),
        }
        x = np.concatenate([x, decided["x"]])
        y = np.concatenate([y, decided["y"]])
        w = np.concatenate([w, w_d])
        folds = np.concatenate([folds, decided["fold"]])
    base["raw_bands"] = labelled_bands(x, x, y, w)
    if n < MIN_CALIB_LABELS or uncertain < MIN_UNCERTAIN:
        reason = (
            f"too few labels: {n:,} ID-linked records re-scored (at least"
            f" {MIN_CALIB_LABELS:,} needed), {uncertain:,} best candidates of theirs (own or"
            f" not) in [0.5, 0.99) (at least {MIN_UNCERTAIN} needed)"
        )
        if "decision_labels" in base:
            base["decision_labels"]["used"] = 0
        return {"method": "none", "reason": reason, **base}, None
    held_out = np.empty_like(x)
    for f in (0, 1):
        train, test = folds != f, folds == f
        held_out[test] = _apply(_isotonic(x[train], y[train], w[train]), x[test])
    mapping = _isotonic(x, y, w)
    return {
        "method": "isotonic",
        **base,
        "held_out_bands": labelled_bands(x, held_out, y, w),
        "points": [[round(float(a), 6), round(float(b), 6)] for a, b in zip(*mapping, strict=True)],
    }, mapping


def _decision_weights(x_d: np.ndarray, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The weight of each decision label beside the run's own labels (``x``, weighed ``w``
    in records of the run). In each bin of raw p (:data:`MIX_EDGES`) a decision weighs as
    much as an average label of the run there — one more label of the bin — and the
    decisions together at most as much as the run's labels there: a handful moves the map
    as a handful of labels would, many can correct it, none can outvote the run's own
    labels. Where the run has no label a decision weighs nothing."""
    edges = len(MIX_EDGES) - 1
    bins_d = np.clip(np.searchsorted(MIX_EDGES, x_d, side="right") - 1, 0, edges - 1)
    bins = np.clip(np.searchsorted(MIX_EDGES, x, side="right") - 1, 0, edges - 1)
    room = np.bincount(bins, weights=w, minlength=edges)
    most = np.maximum(np.bincount(bins, minlength=edges), np.bincount(bins_d, minlength=edges))
    return (room / np.maximum(most, 1))[bins_d]


def _isotonic(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weighted isotonic (non-decreasing) regression of ``y`` on ``x`` by pool adjacent
    violators, as its breakpoints (raw p, calibrated p): each block's first and last x at
    the block's weighted mean; anchored at (0, 0) and (1, 1) with a negligible weight."""
    x = np.concatenate([x, [0.0, 1.0]])
    y = np.concatenate([y, [0.0, 1.0]])
    w = np.concatenate([w, [1e-6, 1e-6]])
    keep = w > 0
    xs, inverse = np.unique(x[keep], return_inverse=True)  # equal x: one point
    weights = np.bincount(inverse, weights=w[keep])
    means = np.bincount(inverse, weights=(w * y)[keep]) / weights
    blocks: list[list[float]] = []  # [mean, weight, first x, last x]
    for value, weight, at in zip(means, weights, xs, strict=True):
        blocks.append([value, weight, at, at])
        while len(blocks) > 1 and blocks[-2][0] >= blocks[-1][0]:
            last = blocks.pop()
            prev = blocks[-1]
            total = prev[1] + last[1]
            prev[0] = (prev[0] * prev[1] + last[0] * last[1]) / total
            prev[1], prev[3] = total, last[3]
    px, py = [], []
    for value, _, first, last in blocks:
        px.extend((first, last) if last > first else (first,))
        py.extend((value, value) if last > first else (value,))
    return np.asarray(px, float), np.clip(np.asarray(py, float), 0.0, 1.0)


def _apply(mapping: tuple[np.ndarray, np.ndarray], p: np.ndarray) -> np.ndarray:
    return np.interp(p, mapping[0], mapping[1])


def sync_threshold(
    con: duckdb.DuckDBPyConnection, threshold: float, review: float, precision: float
) -> float:
    """The lowest probability in [``review``, ``threshold``] at which the records left to
    Splink that would be synced (their best candidate at or above it) are right
    ``precision`` of the time by their calibrated probabilities (their mean); ``threshold``
    when even that cannot be met. Only meaningful on calibrated probabilities."""
    got = con.sql(f"""
        with best as (
          select record_key, arg_max(probability, raw_probability) as p from pairs group by all
        ), running as (
          select p, avg(p) over (order by p desc rows between unbounded preceding
                                 and current row) as expected
          from best
        )
        select min(p) from running where expected >= {precision!r} and p >= {review!r}
    """).fetchall()[0][0]
    return threshold if got is None else float(min(threshold, max(review, got)))
