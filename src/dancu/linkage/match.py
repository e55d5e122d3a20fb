"""Linking sector records to registry citizens: deterministic first, then Splink.

``link(sector, registry)`` gives every sector record one outcome:

``synced``
    a valid ID number whose citizen has the same name and birth date (or a probabilistic
    match at or above ``threshold`` with nothing differing);
``synced_with_differences``
    the same citizen, but some fields differ (``differences``: field, sector value,
    registry value) — a valid ID number whose name or birth date differ slightly while the
    rest is strong, or a probabilistic match at or above ``threshold``;
``probable_match``
    a candidate between ``review_threshold`` and ``threshold`` (or an ambiguous one, or a
    valid ID number whose citizen disagrees on name and birth date): an officer decides;
``not_found``
    no candidate reaches ``review_threshold``;
``duplicate_in_source``
    another record of the same dataset links to the same citizen more strongly
    (``duplicate_of`` names it; ``citizen_pid`` is filled in) and has the same optional
    ``dedup_key`` (a land register's parcel number: one owner of two parcels is two records).

Input columns (pandas DataFrames; extra columns are ignored):

* sector: ``record_key`` (unique), ``pid`` (valid 12-digit or null), ``name_folded``,
  ``family``, ``middle``, ``given``, ``birth_date`` ("yyyy-mm-dd", "yyyy-mm", "yyyy" or
  null), ``birth_year``, ``sex`` ("M"/"F"/null), ``commune_code``, ``phone``; optional
  ``name`` (display form, used in ``differences``) and ``dedup_key``.
* registry: ``pid``, ``name_folded``, ``family``, ``middle``, ``given``, ``birth_date``
  (ISO), ``birth_year``, ``sex``, ``commune_code``, ``status``, ``death_date``; optional
  ``full_name`` (display form) and ``phone``.

A record without an ID number in the registry whose full name, birth date, sex and commune
agree with exactly one citizen is ``synced`` before Splink (method "exact").

The probabilistic stage runs Splink (link_only) on the records the deterministic stages
could not settle. The model is trained against a random sample of the registry: u
estimated by random sampling, m by expectation maximisation over the pairs sharing an ID
number (or on two blocking rules), term-frequency adjustments on family, given and middle
names (Nguyễn is 38% of family names, frequencies of the whole input); it then scores the
blocked pairs, computed in DuckDB (one join per rule, a record's block per rule cut to
``match_model.BLOCK_CAP`` candidates) and handed to Splink. The pairwise probabilities
become record-level ones (a record has at most one citizen:
``match_posterior.posterior``), calibrated per run on labels of the run's own
(``match_calibration``): the sync threshold is then chosen so that the probabilistic links
synced without review are right ``sync_precision`` of the time. Blocking is a union of
rules chosen so that a true pair survives one typo in any single field: birth date; birth
date with day and month swapped; given name + birth year; family + given + commune; full
name; phone. A name written in the given-family order ("Anh Nguyễn Văn", "Hà Lê Thị") is
also tried in the family-first reading. Backend:
DuckDB, or Spark (``backend="spark"``, see ``match_spark``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dancu.common import adminunits
from dancu.linkage.match_calibration import split_decisions, sync_threshold, with_decisions
from dancu.linkage.match_splink import Backend, probabilistic
from dancu.settings import get_settings

__all__ = [
    "OUTCOMES",
    "OUTCOME_COLUMNS",
    "LinkResult",
    "Progress",
    "link",
]

Progress = Callable[[str, int, int], None]
# The share of right links among the probabilistic matches synced without review that the
# sync threshold is chosen for, from calibrated probabilities (issue 14's goal: 0.99).
SYNC_PRECISION = 0.99

OUTCOMES = (
    "synced",
    "synced_with_differences",
    "probable_match",
    "not_found",
    "duplicate_in_source",
)
OUTCOME_COLUMNS = (
    "record_key",
    "outcome",
    "citizen_pid",
    "probability",
    "method",
    "differences",
    "duplicate_of",
    "citizen_status",
    "death_date",
)
SECTOR_COLUMNS = (
    "record_key",
    "pid",
    "name_folded",
    "family",
    "middle",
    "given",
    "birth_date",
    "birth_year",
    "sex",
    "commune_code",
    "phone",
)
REGISTRY_COLUMNS = (
    "pid",
    "name_folded",
    "family",
    "middle",
    "given",
    "birth_date",
    "birth_year",
    "sex",
    "commune_code",
    "status",
    "death_date",
)


@dataclass
class LinkResult:
    """``outcomes``: one row per sector record, columns :data:`OUTCOME_COLUMNS`.

    ``differences`` is a list of ``{"field", "sector", "registry"}`` dicts (empty when
    nothing differs); ``method`` is "id" (by the ID number), "exact" (no ID number, but
    full name, birth date, sex and commune agree with exactly one citizen), "probabilistic"
    or None;
    ``citizen_status``/``death_date`` come from the registry (a sector record of a dead
    citizen is synced but flagged). ``metrics``: counts per outcome, ``sync_rate``, seconds
    per step, pairs compared, how m was trained, backend.
    """

    outcomes: pd.DataFrame
    metrics: dict[str, Any] = field(default_factory=dict)


def link(
    sector: pd.DataFrame | pa.Table,
    registry: pd.DataFrame | pa.Table,
    *,
    backend: Backend | None = None,
    threshold: float = 0.9,
    review_threshold: float = 0.5,
    sync_precision: float | None = SYNC_PRECISION,
    progress: Progress | None = None,
    seed: int = 6,
    decisions: pd.DataFrame | pa.Table | None = None,
) -> LinkResult:
    """Link every sector record to at most one registry citizen (see the module docstring).

    A probabilistic match is synced at a calibrated probability of ``threshold`` or, when
    the run's probabilities are calibrated and ``sync_precision`` is given, at the lowest
    probability down to ``review_threshold`` at which the records synced that way are
    expected to be right ``sync_precision`` of the time (``metrics["sync_threshold"]``).
    ``backend`` defaults to the ``DANCU_LINKAGE_BACKEND`` setting. ``progress(step, done,
    total)`` is called as the steps "prepare", "deterministic", "train", "predict" and
    "decide" finish (``done`` counts finished steps out of ``total`` = 5). ``decisions``:
    records of the dataset an officer decided on, with the decision (``decision_labels``),
    scored beside the records as labels of the calibration; they get no outcome.
    """
    if backend is None:
        backend = get_settings().linkage_backend
    if backend not in ("duckdb", "spark"):
        raise ValueError(f"unknown linkage backend {backend!r}")
    if not 0 < review_threshold <= threshold <= 1:
        raise ValueError("need 0 < review_threshold <= threshold <= 1")
    _check_columns(sector, SECTOR_COLUMNS, "sector")
    _check_columns(registry, REGISTRY_COLUMNS, "registry")
    decided_in = None if decisions is None else _arrow(decisions)
    sector, decided = with_decisions(_arrow(sector), decided_in)
    report = progress or (lambda step, done, total: None)
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def step(name: str, done: int) -> None:
        now = time.perf_counter()
        timings[name] = round(now - clock[0], 3)
        clock[0] = now
        report(name, done, 5)

    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = false")
        _prepare(con, sector, registry)
        if con.sql("select count(*) - count(distinct record_key) from s").fetchall()[0][0]:
            raise ValueError("sector record_key values must be unique")
        step("prepare", 1)
        con.execute(_DET_SQL)
        con.execute(_EXACT_SQL)
        split_decisions(con, decided)
        step("deterministic", 2)
        stats = probabilistic(con, backend, seed=seed, on_step=step)
        sync_at = threshold
        if sync_precision is not None and stats["calibration"]["method"] == "isotonic":
            sync_at = sync_threshold(con, threshold, review_threshold, sync_precision)
        stats["sync_threshold"] = stats["calibration"]["sync_threshold"] = round(sync_at, 4)
        outcomes = _decide(con, sync_at, review_threshold)
        step("decide", 5)
    finally:
        con.close()

    counts = outcomes["outcome"].value_counts().reindex(OUTCOMES, fill_value=0)
    total = len(outcomes)
    settled = int(counts["synced"] + counts["synced_with_differences"])
    metrics: dict[str, Any] = {
        "backend": backend,
        "records": total,
        "registry": len(registry),
        **{k: int(v) for k, v in counts.items()},
        "sync_rate": settled / total if total else 0.0,
        "seconds": timings,
        **stats,
    }
    # The run's calibration travels with the outcomes, for the run to store it.
    outcomes.attrs["calibration"] = metrics.get("calibration")
    return LinkResult(outcomes, metrics)


# ---------------------------------------------------------------------------- preparation


def _check_columns(df: pd.DataFrame | pa.Table, needed: tuple[str, ...], what: str) -> None:
    missing = [c for c in needed if c not in _names(df)]
    if missing:
        raise ValueError(f"{what} frame lacks columns {missing}")


def _arrow(df: pd.DataFrame | pa.Table) -> pa.Table:
    if isinstance(df, pa.Table):
        return df
    try:
        return pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types in an object column
        fixed = {c: "string" for c in df.columns if df[c].dtype == object}
        return pa.Table.from_pandas(df.astype(fixed), preserve_index=False)


def _names(df: pd.DataFrame | pa.Table) -> list[str]:
    return list(df.column_names) if isinstance(df, pa.Table) else list(df.columns)


def _txt(col: str) -> str:
    return f"nullif(trim(cast({col} as varchar)), '')"


def _prepare(
    con: duckdb.DuckDBPyConnection,
    sector: pd.DataFrame | pa.Table,
    registry: pd.DataFrame | pa.Table,
) -> None:
    """Tables ``s`` and ``r``: the columns the matcher works on, derived in SQL."""
    given_province = "province_code" in _names(sector) and "province_code" in _names(registry)
    if given_province:
        units = pd.DataFrame({"code": pd.Series(dtype=str), "province": pd.Series(dtype=str)})
    else:
        units = pd.DataFrame(
            [(c.code, c.province_code) for c in adminunits.communes()],
            columns=["code", "province"],
        )
    con.register("units", units)
    province = _txt("x.province_in") if given_province else "units.province"
    keep = "x.* exclude (province_in)" if given_province else "x.*"
    # Arrow first: DuckDB scans Arrow columns without touching Python objects (a pandas
    # object column costs ~5x more at a million rows).
    con.register("sector_in", _arrow(sector))
    con.register("registry_in", _arrow(registry))

    def common(src: pd.DataFrame | pa.Table, display: str) -> str:
        phone = _txt("phone") if "phone" in _names(src) else "cast(null as varchar)"
        address = (
            f"nullif(trim(regexp_replace(replace(lower(strip_accents({_txt('address')})),"
            " 'đ', 'd'), '[^a-z0-9]+', ' ', 'g')), '')"
            if "address" in _names(src)
            else "cast(null as varchar)"
        )
        shown = _txt(display) if display in _names(src) else _txt("name_folded")
        return f"""
            {_txt("pid")} as pid, {_txt("name_folded")} as name_folded,
            {_txt("family")} as family, {_txt("middle")} as middle, {_txt("given")} as given,
            upper({_txt("sex")}) as sex, {_txt("commune_code")} as commune_code,
            {phone} as phone, {address} as address, {shown} as display_name, bd as birth_raw,
            case when length(bd) = 10 then bd end as birth_date,
            case when length(bd) >= 7 then substr(bd, 1, 7) end as birth_ym,
            case when length(bd) = 10 then substr(bd, 6, 5) end as birth_md,
            coalesce(try_cast(birth_year as integer), try_cast(substr(bd, 1, 4) as integer))
              as birth_year""" + (", province_code as province_in" if given_province else "")

    dedup = _txt("dedup_key") if "dedup_key" in _names(sector) else "cast(null as varchar)"
    derived = f"""
        case when length(birth_date) = 10 and try_cast(substr(birth_date, 9, 2) as int) <= 12
              and substr(birth_date, 9, 2) <> substr(birth_date, 6, 2)
             then substr(birth_date, 1, 5) || substr(birth_date, 9, 2) || '-'
                  || substr(birth_date, 6, 2) end as birth_date_swapped,
        {province} as province_code"""
    con.execute(f"""
        create table s as
        select {keep}, {derived}
        from (select {_txt("record_key")} as record_key, {dedup} as dedup_key,
                     {common(sector, "name")}
              from (select *, {_txt("birth_date")} as bd from sector_in)) x
        left join units on units.code = x.commune_code
    """)
    con.execute(f"""
        create table r as
        select {keep}, {derived}
        from (select {common(registry, "full_name")}, {_txt("status")} as status,
                     {_txt("death_date")} as death_date
              from (select *, {_txt("birth_date")} as bd from registry_in)) x
        left join units on units.code = x.commune_code
    """)
    for name in ("units", "sector_in", "registry_in"):
        con.unregister(name)


# ---------------------------------------------------------------------------- deterministic

# Sector records whose valid ID number is in the registry: "synced" when name and birth
# date agree, "diff" (synced with differences) when they nearly agree, else NULL (left to
# the probabilistic stage, that citizen kept as the ID candidate for review).
_DET_SQL = """
create table det as
with hits as (
  select s.record_key, r.pid as citizen_pid,
         coalesce(s.name_folded = r.name_folded, false) as name_same,
         coalesce(s.name_folded = r.name_folded
           or list_sort(string_split(s.name_folded, ' '))
              = list_sort(string_split(r.name_folded, ' '))
           or jaro_winkler_similarity(s.name_folded, r.name_folded) >= 0.9, false)
           as name_close,
         coalesce(case when s.birth_date is not null then s.birth_date = r.birth_date
                       when s.birth_ym is not null then s.birth_ym = r.birth_ym
                       else s.birth_year = r.birth_year end, false) as date_same,
         coalesce(s.birth_date_swapped = r.birth_date
           or damerau_levenshtein(s.birth_date, r.birth_date) <= 1, false) as date_near,
         coalesce(s.birth_year = r.birth_year, false) as year_same
  from s join r on s.pid = r.pid
)
select record_key, citizen_pid,
       case when name_same and date_same then 'synced'
            when (name_close and (date_same or date_near)) or (name_same and year_same)
              then 'diff' end as outcome,
       'id' as method
from hits
"""

# Records without an ID number in the registry whose full name, full birth date, sex and
# commune all agree with exactly one citizen: "synced" without Splink. Every error of the
# sector files (a typo, a swap, a partial date, a move, a missing field) breaks one of the
# four, and the probabilistic stage would score such a pair near 1 anyway.
_EXACT_SQL = """
insert into det
select record_key, any_value(citizen_pid), 'synced', 'exact'
from (select s.record_key, r.pid as citizen_pid
      from s join r on s.name_folded = r.name_folded and s.birth_date = r.birth_date
                   and s.sex = r.sex and s.commune_code = r.commune_code
      where s.record_key not in (select record_key from det))
group by record_key
having count(*) = 1
"""


# ---------------------------------------------------------------------------- decision

_DECIDE_SQL = """
with ranked as (
  select *, row_number() over (partition by record_key
                               order by raw_probability desc, citizen_pid) as rk,
         sum(probability) over (partition by record_key) as any_p
  from pairs
), best as (
  select b.record_key, b.citizen_pid as best_pid, b.probability as best_p,
         coalesce(s2.probability, 0) as second_p,
         b.any_p
  from ranked b left join ranked s2 on s2.record_key = b.record_key and s2.rk = 2
  where b.rk = 1
), base as (
  select s.record_key, det.outcome as det_outcome, det.citizen_pid as det_pid,
         det.method as det_method,
         best.best_pid, coalesce(best.best_p, 0) as best_p, coalesce(best.second_p, 0) as second_p,
         coalesce(best.any_p, 0) as any_p, idp.probability as id_p
  from s
  left join det using (record_key)
  left join best using (record_key)
  left join pairs idp on idp.record_key = s.record_key and idp.citizen_pid = det.citizen_pid
), decided as (
  select record_key,
    case when det_outcome is not null then det_outcome
         when best_p >= {review} and best_p >= {threshold}
              and not (second_p >= {review} and best_p - second_p < {margin}) then 'sure'
         when any_p >= {review} then 'probable_match'
         when det_pid is not null then 'probable_match'
         else 'not_found' end as outcome,
    case when det_outcome is not null then det_pid
         when any_p >= {review} then best_pid
         else det_pid end as citizen_pid,
    case when det_outcome is not null then 1.0
         when any_p >= {review} then best_p
         when det_pid is not null then coalesce(id_p, 0.0) end as probability,
    case when det_outcome is not null then det_method
         when any_p >= {review} then 'probabilistic'
         when det_pid is not null then 'id' end as method
  from base
), diffs as (
  select d.*, r.status as citizen_status, r.death_date,
    list_filter([
      case when s.name_folded <> r.name_folded
           then {{'field': 'full_name', 'sector': s.display_name,
                  'registry': r.display_name}} end,
      case when s.birth_raw is not null and r.birth_raw is not null
                and not starts_with(r.birth_raw, s.birth_raw)
           then {{'field': 'birth_date', 'sector': s.birth_raw, 'registry': r.birth_raw}} end,
      case when s.sex <> r.sex
           then {{'field': 'sex', 'sector': s.sex, 'registry': r.sex}} end,
      case when s.commune_code <> r.commune_code
           then {{'field': 'commune_code', 'sector': s.commune_code,
                  'registry': r.commune_code}} end
    ], lambda x: x is not null) as differences
  from decided d
  join s using (record_key)
  left join r on r.pid = d.citizen_pid
), settled as (
  select * replace (
    case when outcome in ('sure', 'diff', 'synced')
         then case when len(differences) > 0 then 'synced_with_differences' else 'synced' end
         else outcome end as outcome)
  from diffs
), dup as (
  select record_key,
         first_value(record_key) over (
           partition by citizen_pid, s.dedup_key
           order by case outcome when 'synced' then 0 else 1 end, probability desc, record_key
         ) as owner
  from settled join s using (record_key)
  where outcome in ('synced', 'synced_with_differences')
)
select settled.record_key,
       case when dup.owner is not null and dup.owner <> settled.record_key
            then 'duplicate_in_source' else outcome end as outcome,
       citizen_pid, probability, method, differences,
       case when dup.owner <> settled.record_key then dup.owner end as duplicate_of,
       case when citizen_pid is not null then citizen_status end as citizen_status,
       case when citizen_pid is not null then death_date end as death_date
from settled left join dup using (record_key)
order by settled.record_key
"""


def _decide(con: duckdb.DuckDBPyConnection, threshold: float, review: float) -> pd.DataFrame:
    sql = _DECIDE_SQL.format(threshold=threshold, review=review, margin=0.5 * (1 - review))
    table = con.sql(sql).to_arrow_table()
    # Arrow's list of structs becomes Python lists of dicts directly (faster than pandas'
    # conversion to arrays of dicts and a map over them), for the rows that have some.
    column = table.column("differences")
    some = pc.indices_nonzero(pc.fill_null(pc.list_value_length(column), 0)).to_numpy()
    differences: list[list[dict[str, Any]]] = [[] for _ in range(table.num_rows)]
    for i, value in zip(some.tolist(), column.take(some).to_pylist(), strict=True):
        differences[i] = value
    out = table.drop_columns(["differences"]).to_pandas()
    out["differences"] = differences
    out = out.astype({"citizen_pid": object, "duplicate_of": object})
    return out[list(OUTCOME_COLUMNS)]
