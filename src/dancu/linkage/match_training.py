"""Training the Splink model of ``match_model`` directly: u and m counted in DuckDB.

Splink's own training runs many queries per step (``estimate_u_using_random_sampling``
one per comparison; ``estimate_parameters_using_expectation_maximisation`` a blocking
pass, then one query per iteration) through a linker built only for it. Here each side is
one query that computes every comparison's level (the model's own ``CASE`` expressions,
rendered for DuckDB) over a set of pairs and counts the agreement patterns; the rest is
arithmetic on those counts:

* u of a level: its share among random (record, citizen) pairs where the comparison is
  not null (:func:`u_from_counts`, as Splink's random-sampling estimate);
* m: expectation maximisation over the pairs that share an ID number, u fixed, on the
  pattern counts — the same iterations Splink runs with
  ``estimate_without_term_frequencies=True`` (:func:`em_from_counts`: same start, same
  update, same convergence rule), in numpy on a few hundred patterns instead of a query
  per iteration.

The trained numbers are written into the model's ``Settings`` (:func:`apply`), whose
dictionary the predicting linker is built from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np

# Splink's EM defaults (``TrainingSettings``): at most this many iterations, stopping when
# no parameter moved by more than ``EM_CONVERGENCE``.
EM_MAX_ITERATIONS = 25
EM_CONVERGENCE = 0.0001

_DL_LEQ_1 = re.compile(r'damerau_levenshtein\(("?\w+"?), ("?\w+"?)\) <= 1')


def _guarded(case_sql: str) -> str:
    """The ``CASE`` expression with every ``damerau_levenshtein(a, b) <= 1`` preceded by a
    cheap test it implies: with n the shorter length and k = (n - 1) // 2, an edit distance
    of at most 1 leaves the lengths within 1 and the first k or the last k characters
    equal (one substitution, insertion, deletion or swap of neighbours touches at most two
    adjacent places, which cannot reach both the first k and the last k when 2k < n).
    Same truth value, several times cheaper on random pairs of dates or ID numbers, which
    almost never pass the test (``tests/linkage/test_match_training.py`` checks it)."""

    def guard(m: re.Match[str]) -> str:
        a, b = m.group(1), m.group(2)
        k = f"((least(length({a}), length({b})) - 1) // 2)"
        return (
            f"(abs(length({a}) - length({b})) <= 1"
            f" and (left({a}, {k}) = left({b}, {k}) or right({a}, {k}) = right({b}, {k}))"
            f" and {m.group(0)})"
        )

    return _DL_LEQ_1.sub(guard, case_sql)


def gamma_counts(
    con: duckdb.DuckDBPyConnection, comparisons: Sequence[Any], pairs_sql: str
) -> tuple[np.ndarray, np.ndarray]:
    """Agreement patterns of the pairs of ``pairs_sql`` (a query giving each input column
    as ``<col>_l`` / ``<col>_r``) and how many pairs show each: (patterns, counts), one
    row per pattern and one column per comparison (its level, -1 for null)."""
    cases = ",\n".join(_guarded(c._case_statement) for c in comparisons)
    gammas = ", ".join(c._gamma_column_name for c in comparisons)
    rows = con.sql(
        f"select {gammas}, count(*) from (select {cases} from ({pairs_sql})) group by all"
    ).fetchall()
    if not rows:
        return np.zeros((0, len(comparisons)), np.int64), np.zeros(0, np.float64)
    data = np.array(rows, dtype=np.int64)
    return data[:, :-1], data[:, -1].astype(np.float64)


def u_from_counts(
    comparisons: Sequence[Any], patterns: np.ndarray, counts: np.ndarray
) -> dict[str, dict[int, float | None]]:
    """u per comparison and level: the level's share among the pairs where the comparison
    is not null; None for a level no pair showed (Splink's "not observed")."""
    out: dict[str, dict[int, float | None]] = {}
    for j, comparison in enumerate(comparisons):
        seen = patterns[:, j] >= 0
        total = counts[seen].sum()
        shares: dict[int, float | None] = {}
        for level in comparison._comparison_levels_excluding_null:
            n = counts[patterns[:, j] == level.comparison_vector_value].sum()
            shares[level.comparison_vector_value] = float(n / total) if n else None
        out[comparison.output_column_name] = shares
    return out


def em_from_counts(
    comparisons: Sequence[Any],
    patterns: np.ndarray,
    counts: np.ndarray,
    start_lambda: float,
    *,
    max_iterations: int = EM_MAX_ITERATIONS,
    convergence: float = EM_CONVERGENCE,
) -> tuple[dict[str, dict[int, float | None]], float, int]:
    """Expectation maximisation of m with u fixed over agreement-pattern counts, as
    Splink's ``expectation_maximisation`` with ``estimate_without_term_frequencies``:
    E-step, the match probability of each pattern from the current m, u and lambda; M-step,
    m of a level = the expected matches showing it over those where the comparison is not
    null, lambda = the expected matches over all pairs; stop when no m nor lambda moved by
    more than ``convergence``, or after ``max_iterations``.

    Returns (m per comparison and level — None for a level no pair showed, which Splink
    leaves untrained —, the last lambda, the iterations run)."""
    levels = [c._comparison_levels_excluding_null for c in comparisons]
    # as Splink reads them in a computation: "not observed" is 1e-6
    m = [{lv.comparison_vector_value: float(lv.m_probability) for lv in ls} for ls in levels]
    u = [{lv.comparison_vector_value: float(lv.u_probability) for lv in ls} for ls in levels]
    observed = [set(np.unique(patterns[:, j]).tolist()) for j in range(len(comparisons))]
    fixed = [{lv.comparison_vector_value for lv in ls if lv._fix_m_probability} for ls in levels]
    lam = start_lambda
    iteration = 0
    while iteration < max_iterations:
        iteration += 1
        log_bf = np.zeros(len(counts))
        for j in range(len(comparisons)):
            col = patterns[:, j]
            for value in observed[j]:
                if value < 0:
                    continue
                with np.errstate(divide="ignore"):
                    log_bf[col == value] += np.log2(m[j][value] / u[j][value])
        prior = math.log2(lam / (1 - lam)) if 0 < lam < 1 else (math.inf if lam >= 1 else -math.inf)
        weight = log_bf + prior
        p = 1.0 / (1.0 + np.exp2(-weight))
        expected = p * counts
        change = 0.0
        new_m = []
        for j in range(len(comparisons)):
            col = patterns[:, j]
            denom = expected[col >= 0].sum()
            level_m = dict(m[j])
            for value in m[j]:
                if value in fixed[j]:
                    continue
                if value in observed[j]:
                    # Splink's M-step divides by the sum over the levels (0/0 is null there)
                    level_m[value] = float(expected[col == value].sum() / denom) if denom else 0.0
                else:  # "not observed": 1e-6 in Splink's next iteration
                    level_m[value] = 1e-6
                change = max(change, abs(level_m[value] - m[j][value]))
            new_m.append(level_m)
        new_lam = float(expected.sum() / counts.sum())
        change = max(change, abs(new_lam - lam))
        m, lam = new_m, new_lam
        if change < convergence:
            break
    result = {
        c.output_column_name: {
            value: (m[j][value] if value in observed[j] and value not in fixed[j] else None)
            for value in m[j]
        }
        for j, c in enumerate(comparisons)
    }
    return result, lam, iteration


def one_keystroke_u(con: duckdb.DuckDBPyConnection, table: str, *, sample: int, seed: int) -> float:
    """u of "ID numbers one keystroke apart" (Damerau-Levenshtein distance 1): the share of
    pairs of two different citizens whose ID numbers are, counted from the registry
    (``table``, column ``pid``) rather than on random pairs.

    Random pairs hardly show it: of the generated registries, 1.3e-6 of pairs at 200,000
    citizens, 3.1e-7 at 1,000,000 — 0.4 and 0.1 among the 300,000 random pairs the other
    levels are counted on. A level no pair showed has no u in the saved model: the
    predicting linker took Splink's default (0.003, thousands of times too likely) while
    the training read "not observed" as 1e-6.

    Here every ID number one substitution of a digit or one swap of neighbours away from a
    citizen's (ID numbers are 12 digits on both sides, so an insertion or deletion never
    stays within one) is looked up in the registry, for ``sample`` citizens chosen by a
    seeded hash: one join, exact for them. The count is at least 1, so a registry
    too small to show one gives an upper bound rather than 0."""
    n = con.sql(f"select count(pid) from {table}").fetchall()[0][0]
    if n < 2:
        return 1e-6
    got = con.sql(f"""
        with s as (
          select pid from {table} where pid is not null
          order by hash(pid || '{seed}typo') limit {int(sample)}
        ), near as (
          select left(pid, i) || d || substr(pid, i + 2) as near
          from (select pid, unnest(range(length(pid))) as i from s),
               (select cast(unnest(range(10)) as varchar) as d)
          where d <> substr(pid, i + 1, 1)
          union all
          select left(pid, i) || substr(pid, i + 2, 1) || substr(pid, i + 1, 1)
                 || substr(pid, i + 3)
          from (select pid, unnest(range(length(pid) - 1)) as i from s)
          where substr(pid, i + 1, 1) <> substr(pid, i + 2, 1)
        )
        select (select count(*) from s), (select count(*) from near join {table} t
                                          on t.pid = near.near)
    """).fetchall()[0]
    drawn, found = got
    return max(found, 1) / (drawn * (n - 1))


def apply(
    comparisons: Sequence[Any],
    *,
    u: dict[str, dict[int, float | None]] | None = None,
    m: dict[str, dict[int, float | None]] | None = None,
) -> None:
    """Write trained u and m into the model's comparison levels: u of a level no pair
    showed becomes Splink's "not observed" (1e-6 while Splink trains; left out of the saved
    model, so the predicting linker falls back to the level's default u — the ID number's
    "one keystroke" level, the one that matters, is counted from the registry instead, see
    :func:`one_keystroke_u`); an m no pair showed stays as it was (Splink keeps an
    untrained level's value); a fixed m is not touched."""
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT

    for comparison in comparisons:
        name = comparison.output_column_name
        for level in comparison._comparison_levels_excluding_null:
            value = level.comparison_vector_value
            if u is not None and name in u:
                got = u[name].get(value)
                level.u_probability = LEVEL_NOT_OBSERVED_TEXT if got is None else got
            if m is not None and name in m and not level._fix_m_probability:
                got = m[name].get(value)
                if got is not None:
                    level.m_probability = got


def blocking_adjusted_lambda(prior: float, levels: Sequence[Any]) -> float:
    """Splink's starting lambda of an EM session blocked on a rule that implies
    ``levels`` (here: the ID number's "equal" level): the prior's odds times each level's
    Bayes factor, as a probability."""
    odds = prior / (1 - prior)
    for level in levels:
        odds *= float(level.m_probability) / float(level.u_probability)
    return odds / (1 + odds)
