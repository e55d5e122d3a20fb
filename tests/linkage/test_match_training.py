"""The model's training counted in DuckDB (``match_training``): the levels' shares are
what one counts by hand, the guarded edit distance keeps its truth value, and the EM over
the counted patterns gives the m that Splink's own EM gives on the same pairs."""

from __future__ import annotations

import random
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from bench import linkage_data
from dancu.linkage import match, match_splink
from dancu.linkage import match_training as training
from dancu.linkage.match_model import settings


def _comparisons(*names: str) -> list:
    every = settings(1e-4).get_settings("duckdb").comparisons
    return [c for c in every if c.output_column_name in names] if names else every


def test_guarded_edit_distance_has_the_same_truth_value() -> None:
    rng = random.Random(7)
    digits = "0123456789"

    def edited(s: str) -> str:
        if not s:
            return rng.choice(digits)
        i = rng.randrange(len(s))
        kind = rng.randrange(4)
        if kind == 0:  # substitution
            return s[:i] + rng.choice(digits) + s[i + 1 :]
        if kind == 1 and i < len(s) - 1:  # neighbours swapped
            return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        if kind == 2:  # insertion
            return s[:i] + rng.choice(digits) + s[i:]
        return s[:i] + s[i + 1 :]  # deletion

    left, right = [], []
    for _ in range(6000):
        n = rng.choice([1, 2, 3, 5, 9, 10, 12])
        a = "".join(rng.choice(digits[:3]) for _ in range(n))
        b = rng.choice(
            [a, edited(a), edited(edited(a)), "".join(rng.choice(digits[:3]) for _ in range(n))]
        )
        left.append(a)
        right.append(b if b else None)
    left += [None, "2001-02-03", "2001-02-03"]
    right += ["1", None, "2001-03-02"]
    con = duckdb.connect()
    con.register("p", pa.table({"x_l": left, "x_r": right}))
    plain = "damerau_levenshtein(x_l, x_r) <= 1"
    guarded = training._guarded(plain)
    assert guarded != plain and "left(" in guarded
    rows = con.sql(
        f"select coalesce({plain}, false), coalesce({guarded}, false), count(*) from p group by all"
    ).fetchall()
    assert all(a == b for a, b, _ in rows)
    assert {a for a, _, _ in rows} == {True, False}  # both outcomes were exercised


def test_levels_are_counted_as_by_hand() -> None:
    sex, place = _comparisons("sex", "place")
    con = duckdb.connect()
    pairs = """
        select * from (values
          ('M', 'M', '001', '001', '01', '01'),
          ('M', 'F', '001', '002', '01', '01'),
          (null, 'M', '001', '003', '01', '02'),
          ('F', 'F', null, '003', '01', '01'),
          ('F', 'M', '004', '004', '01', '01'))
        t(sex_l, sex_r, commune_code_l, commune_code_r, province_code_l, province_code_r)
    """
    patterns, counts = training.gamma_counts(con, [sex, place], pairs)
    assert counts.sum() == 5
    u = training.u_from_counts([sex, place], patterns, counts)
    # sex: 4 pairs with both sexes, 2 equal and 2 not; place: 4 with both communes —
    # 2 equal, 1 in the same province, 1 in another province.
    assert u["sex"] == {1: 0.5, 0: 0.5}
    assert u["place"] == {2: 0.5, 1: 0.25, 0: 0.25}
    pairs_one = pairs.replace("('F', 'F', null", "('F', 'F', '005'").replace(
        "'01', '02'", "'01', '01'"
    )
    patterns, counts = training.gamma_counts(con, [place], pairs_one)
    u = training.u_from_counts([place], patterns, counts)
    assert u["place"][0] is None  # never seen: Splink's "not observed"
    training.apply([place], u=u)
    levels = {lv.comparison_vector_value: lv for lv in place._comparison_levels_excluding_null}
    assert levels[0].u_probability == pytest.approx(1e-6)
    # 2 of 5 in the same commune, the 3 others in the same province
    assert levels[2].u_probability == pytest.approx(2 / 5)
    assert levels[1].u_probability == pytest.approx(3 / 5)


def test_em_stops_on_a_clear_set_with_m_the_levels_shares() -> None:
    """Every labelled pair agrees on sex and 3 of 4 on the commune, and u is tiny for
    agreement: EM calls them all matches, so m is the share of each level."""
    (place,) = _comparisons("place")
    training.apply([place], u={"place": {2: 1e-4, 1: 0.5, 0: 0.4999}})
    patterns = np.array([[2], [1], [-1]])
    counts = np.array([300.0, 100.0, 50.0])
    m, _, iterations = training.em_from_counts([place], patterns, counts, start_lambda=0.999)
    assert m["place"][2] == pytest.approx(0.75, abs=1e-3)
    assert m["place"][1] == pytest.approx(0.25, abs=1e-3)
    assert m["place"][0] is None  # not observed: left untrained, as Splink leaves it
    assert 1 <= iterations <= training.EM_MAX_ITERATIONS


def _tables(con: duckdb.DuckDBPyConnection, seed: int = 6) -> float:
    """The probabilistic stage's training tables for a generated world; its prior."""
    reg = linkage_data.registry(3000, seed=21)
    sec = linkage_data.sector(reg, 800, seed=22).records
    match._prepare(con, sec, reg)
    con.execute(match._DET_SQL)
    con.execute(match._EXACT_SQL)
    con.execute(match_splink._left_sql(seed))
    cols = ", ".join(match_splink.SPLINK_COLUMNS[1:])
    con.execute(f"create view right_in as select pid as unique_id, {cols} from r")
    con.execute("create table right_train as select * from right_in")
    con.execute("create table u_reg as select rowid as row from r")
    return 1 / con.sql("select count(*) from right_in").fetchall()[0][0]


def test_em_over_counted_patterns_gives_splinks_m() -> None:
    """Splink's EM blocked on "same ID number" (the previous training) and the EM on the
    counted patterns, from the same u, give the same m to 1e-6."""
    from splink import DuckDBAPI, Linker

    con = duckdb.connect()
    prior = _tables(con)
    labels = con.sql("select count(*) from left_in where unique_id like '~label:%'").fetchall()
    assert labels[0][0] >= match_splink.MIN_LABELS
    counted = settings(prior, phone=False).get_settings("duckdb").comparisons
    u = match_splink._estimate_u(con, counted, seed=6)
    training.apply(counted, u=u)
    direct = match_splink._estimate_m(con, counted, prior)

    db_api = DuckDBAPI(connection=con)
    linker = Linker(
        [
            db_api.register("left_in", dataset_display_name="sector"),
            db_api.register("right_train", dataset_display_name="registry"),
        ],
        settings(prior, phone=False),
        log_level="ERROR",
        validate_settings=False,
    )
    training.apply(linker._settings_obj.comparisons, u=u)
    linker.training.estimate_parameters_using_expectation_maximisation(
        "l.pid = r.pid and (starts_with(l.unique_id, '~label:')"
        " or starts_with(r.unique_id, '~label:'))",
        estimate_without_term_frequencies=True,
    )
    compared = 0
    for comparison in linker._settings_obj.comparisons:
        if comparison.output_column_name == "pid":
            continue
        for level in comparison._comparison_levels_excluding_null:
            mine = direct[comparison.output_column_name][level.comparison_vector_value]
            if mine is None:  # not observed: Splink leaves the level's m as it was
                assert not level._has_estimated_m_values
                continue
            assert level.m_probability == pytest.approx(mine, abs=1e-6)
            compared += 1
    assert compared >= 10


def _one_keystroke_share(pids: list[str]) -> float:
    """The share of ordered pairs of distinct ID numbers one substitution or one swap of
    neighbours apart, counted by hand."""
    known = set(pids)
    found = 0
    for p in pids:
        near = {p[:i] + d + p[i + 1 :] for i in range(len(p)) for d in "0123456789"}
        near |= {p[:i] + p[i + 1] + p[i] + p[i + 2 :] for i in range(len(p) - 1)}
        near.discard(p)
        found += len(near & known)
    return found / (len(pids) * (len(pids) - 1))


def test_one_keystroke_u_is_the_registrys_share() -> None:
    reg = linkage_data.registry(20_000, seed=31)
    con = duckdb.connect()
    con.register("r", reg[["pid"]])
    exact = _one_keystroke_share(list(reg["pid"]))
    assert exact > 0
    whole = training.one_keystroke_u(con, "r", sample=len(reg), seed=1)
    assert whole == pytest.approx(exact, rel=1e-9)
    sampled = training.one_keystroke_u(con, "r", sample=match_splink.TYPO_SAMPLE, seed=1)
    assert sampled == pytest.approx(exact, rel=0.15)


@pytest.mark.parametrize("with_labels", [True, False], ids=["id_labels", "em"])
def test_the_model_predicts_with_the_u_it_was_trained_with(
    with_labels: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The u the training writes into the model is the u the predicting linker applies,
    level by level. The ID number's "one keystroke" level is never seen among u's random
    pairs: it was trained as Splink's "not observed" (1e-6), left out of the saved model,
    and predicted with Splink's default u (0.003, thousands of times the registry's
    share). It is now the registry's share, in training and prediction alike."""
    from splink import SettingsCreator

    reg = linkage_data.registry(20_000, seed=31)
    # Serial numbers spread over the million a birth year and sex allow (the generator's
    # run 0, 1, 2, ...): ~4e-7 of pairs one keystroke apart, as in a large registry, so
    # the 300,000 random pairs of u do not show one.
    spread = (np.arange(len(reg)) * 7919 + 13) % 1_000_000
    reg["pid"] = reg["pid"].str[:6] + np.char.zfill(spread.astype(str), 6).astype(object)
    sec = linkage_data.sector(reg, 4000, seed=32).records
    if not with_labels:  # too few ID numbers for labels: Splink's own EM trains m
        sec = sec.assign(pid=sec["pid"].where(sec.index % 40 == 0, None))
    seen: dict[str, Any] = {}
    calibrate, apply = match_splink.calibrate, training.apply

    def spy_calibrate(con: duckdb.DuckDBPyConnection, **kw: Any) -> dict[str, Any]:
        seen["model"] = kw["model"]
        return calibrate(con, **kw)

    def spy_apply(comparisons: Any, **kw: Any) -> None:
        if kw.get("u") is not None:
            seen["u"] = kw["u"]
        apply(comparisons, **kw)

    monkeypatch.setattr(match_splink, "calibrate", spy_calibrate)
    monkeypatch.setattr(training, "apply", spy_apply)
    result = match.link(sec, reg, backend="duckdb")
    assert result.metrics["training"] == ("id_labels" if with_labels else "em")
    predicting = SettingsCreator.from_path_or_dict(seen["model"]).get_settings("duckdb")
    compared = 0
    for comparison in predicting.comparisons:
        trained = seen["u"][comparison.output_column_name]
        for level in comparison._comparison_levels_excluding_null:
            if trained[level.comparison_vector_value] is not None:
                got = level.u_probability
                want = trained[level.comparison_vector_value]
                assert got == pytest.approx(want, rel=1e-9), level.label_for_charts
                compared += 1
    assert compared >= 20
    pid = next(c for c in predicting.comparisons if c.output_column_name == "pid")
    _, typo, _ = sorted(
        pid._comparison_levels_excluding_null, key=lambda lv: -lv.comparison_vector_value
    )
    assert typo._u_is_trained
    exact = _one_keystroke_share(list(reg["pid"]))
    assert typo.u_probability == pytest.approx(exact, rel=0.35), exact
