"""The record-level posterior: a sector record has at most one citizen."""

from __future__ import annotations

import math

import duckdb
import pytest

from dancu.linkage.match_posterior import BLOCKING_LOSS, posterior


def _con(
    pairs: list[tuple[str, str, float]], settled: int, unsettled: int
) -> duckdb.DuckDBPyConnection:
    """``pairs``: (record, citizen, Bayes factor); ``settled`` records linked before Splink."""
    con = duckdb.connect()
    keys = [f"D{i}" for i in range(settled)] + [f"U{i}" for i in range(unsettled)]
    con.execute("create table s as select unnest(?) as record_key", [keys])
    con.execute(
        "create table det as select unnest(?) as record_key, 'synced' as outcome",
        [keys[:settled]],
    )
    con.execute(
        "create table pairs (record_key varchar, citizen_pid varchar, probability double,"
        " log_bf double)"
    )
    for rec, cit, bf in pairs:
        con.execute("insert into pairs values (?, ?, 0, ?)", [rec, cit, math.log(bf)])
    return con


def _p(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], float]:
    rows = con.sql("select record_key, citizen_pid, probability from pairs").fetchall()
    return {(r, c): p for r, c, p in rows}


def test_a_lone_candidate_gains_and_two_equal_ones_share() -> None:
    n = 1_000_000
    # 90 settled, U0 one strong candidate, U1 two equal ones, U2-U9 nothing (not found).
    con = _con([("U0", "a", 4e6), ("U1", "b", 4e6), ("U1", "c", 4e6)], 90, 10)
    pi = posterior(con, n)
    p = _p(con)
    pairwise = 4e6 / (4e6 + n - 1)  # Splink's pairwise probability with prior 1 / n
    assert pairwise == pytest.approx(0.8, abs=0.001)
    # The estimated in-registry share: 90 settled + U0 + U1 of 100 records.
    assert 0.9 <= pi <= 0.93
    c = n * ((1 - pi) + pi * BLOCKING_LOSS) / pi
    assert p["U0", "a"] == pytest.approx(4e6 / (c + 4e6))
    assert p["U0", "a"] > 0.95 > pairwise
    # Two citizens fit equally: neither is more likely than half, together as likely as
    # the lone candidate.
    assert p["U1", "b"] == pytest.approx(p["U1", "c"]) and p["U1", "b"] < 0.5
    assert p["U1", "b"] + p["U1", "c"] == pytest.approx(8e6 / (c + 8e6))


def test_weak_candidates_stay_weak_when_few_records_are_in_the_registry() -> None:
    # Nothing settled and only weak evidence: the share is low and so are the posteriors.
    con = _con([(f"U{i}", f"c{i}", 50.0) for i in range(20)], 0, 200)
    pi = posterior(con, 100_000)
    assert pi < 0.05
    assert max(_p(con).values()) < 0.01
