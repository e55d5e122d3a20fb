"""The record-level posterior of the probabilistic stage: a sector record has at most one
citizen, so Splink's pairwise probabilities are turned into one probability per record
(``match_splink.probabilistic`` calls :func:`posterior` on its ``pairs`` table)."""

from __future__ import annotations

import math

import duckdb
import numpy as np

BLOCKING_LOSS = 0.02  # share of true pairs assumed to escape every blocking rule


def none_term(n_registry: int, pi: float) -> float:
    """The "none of the candidates" term of the posterior's denominator (see
    :func:`posterior`): ``N * ((1 - pi) + pi * loss) / pi``."""
    return n_registry * ((1 - pi) + pi * BLOCKING_LOSS) / pi


def posterior(con: duckdb.DuckDBPyConnection, n_registry: int, *, ignore: str = "") -> float:
    """Turn the pairwise probabilities in ``pairs`` into record-level ones; returns the
    estimated share of records whose person is in the registry.

    Splink's pairwise probability (prior 1 / |registry|) weighs a pair only against the
    citizens in general: it would be the same whether the other candidates of the record
    look like matches or not. A sector record has at most one citizen, so, with ``pi``
    the share of records whose person is in the registry and ``bf`` the pairs' Bayes
    factors (m / u), the probability that record r is citizen j is

        bf_j / (N * ((1 - pi) + pi * loss) / pi + sum over r's candidates k of bf_k)

    (the "one citizen at most" model of bipartite record linkage; the citizens that no
    blocking rule paired with r count with their expected share ``loss`` of the true
    pairs). A lone strong candidate gains (the odds are not diluted by the N - 1 citizens
    that the comparisons have ruled out); two close candidates share the probability.
    ``pi`` is estimated by expectation maximisation over the records: those the
    deterministic stages settled count as in the registry, the others by their posterior.
    Records keyed with the prefix ``ignore`` (the calibration's re-scored ones) get their
    posterior but take no part in estimating ``pi``.
    """
    sums = con.sql(
        """
        with p as (select record_key, max(log_bf) as lbf from pairs
                   where {skip} group by all),
        m as (select record_key, max(lbf) as mx from p group by record_key)
        select any_value(m.mx) + ln(sum(exp(p.lbf - m.mx))) as log_sum
        from p join m using (record_key) group by p.record_key
    """.format(skip=f"not starts_with(record_key, '{ignore}')" if ignore else "true")
    ).fetchnumpy()["log_sum"]
    settled = con.sql("select count(*) from det where outcome is not null").fetchall()[0][0]
    total = con.sql("select count(*) from s").fetchall()[0][0]
    if not total:
        return 0.0
    log_sum = np.asarray(sums, dtype=float)
    pi = 0.5
    for _ in range(100):
        log_c = math.log(none_term(n_registry, pi))
        found = float((1 / (1 + np.exp(np.clip(log_c - log_sum, -700, 700)))).sum())
        new = min(max((settled + found) / total, 0.01), 0.99)
        if abs(new - pi) < 1e-6:
            break
        pi = new
    log_c = math.log(none_term(n_registry, pi))
    con.execute(f"""
        create or replace table pairs as
        with p as (
          select record_key, citizen_pid, max(log_bf) as lbf from pairs group by all
        ), m as (
          select record_key, greatest(max(lbf), {log_c!r}) as mx from p group by record_key
        )
        select p.record_key, p.citizen_pid,
               exp(p.lbf - m.mx) / (exp({log_c!r} - m.mx)
                 + sum(exp(p.lbf - m.mx)) over (partition by p.record_key)) as probability,
               p.lbf as log_bf
        from p join m using (record_key)
    """)
    return pi
