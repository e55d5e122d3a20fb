"""The probabilistic stage of the matcher: training and prediction with Splink's model
(``match_model``: blocking rules and comparisons) for the records the deterministic stages
left unsettled, then the record-level posterior (``match_posterior``) and its calibration
(``match_calibration``). ``match.link`` calls :func:`probabilistic`; ``match_spark``
supplies the Spark database API."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, Literal

import duckdb

from dancu.linkage import match_training as training
from dancu.linkage.match_bands import run_bands
from dancu.linkage.match_calibration import CALIB_PREFIX, calibrate, sample_sql
from dancu.linkage.match_model import blocked_sql, settings
from dancu.linkage.match_posterior import BLOCKING_LOSS, posterior
from dancu.linkage.normalize import FAMILY_NAMES

log = logging.getLogger(__name__)

Backend = Literal["duckdb", "spark"]

SPLINK_COLUMNS = (
    "unique_id",
    "pid",
    "name_folded",
    "family",
    "middle",
    "given",
    "birth_date",
    "birth_ym",
    "birth_md",
    "birth_year",
    "birth_date_swapped",
    "sex",
    "commune_code",
    "province_code",
    "phone",
    "address",
)
_SWAP_SUFFIX = "~swap"
_JOIN_SEP = "-__-"  # Splink's separator of source dataset and id in a blocked pair
_LABEL_PREFIX = "~label:"
LABEL_SAMPLE = 5000  # ID-linked records used as labelled pairs to estimate m
MIN_LABELS = 200  # fewer than this: m by expectation maximisation instead
# Fewer pairs than this under an EM blocking rule: the rule is not trained on. Splink asks
# for "at least a few hundred", but 300 records against 3,000 citizens (40 and 125 pairs)
# train well; on a handful EM degenerates (every pair a match, a prior weight of infinity
# that Splink renders as SQL and DuckDB refuses), and that is also caught.
MIN_EM_PAIRS = 20
_EM_RULES = (("birth_date",), ("family", "given", "commune_code"))
U_PAIRS = 3e5  # random pairs sampled to estimate u
TYPO_SAMPLE = 5_000  # citizens whose ID numbers' one-keystroke neighbours are looked up
TRAIN_SAMPLE = 100_000  # registry rows u's random pairs (and the fallback's EM) draw from
_TF_COLUMNS = ("family", "given", "middle")


# Words that are middle names and never given names ("Nguyễn Văn An", "Lê Thị Hà"): a name
# that ends with one is written given-first ("Hà Lê Thị"), even when its first word, the
# given name, is also a family name (Hà, Lê, Hồng, Mai, ...).
_MIDDLE_ONLY = ("van", "thi")


def _family_list() -> str:
    return "[" + ", ".join(f"'{w}'" for w in sorted(FAMILY_NAMES)) + "]"


def records_sql(source: str, prefix: str = "") -> str:
    """The Splink rows of the records of table ``source`` (keyed ``prefix`` + record key)
    and, when a name looks written given-family — a family name second, and first a word
    that is not one ("Anh Nguyễn Văn") or last a middle-only word ("Hà Lê Thị") — its
    family-first reading (keyed with :data:`_SWAP_SUFFIX`)."""
    cols = ", ".join(c for c in SPLINK_COLUMNS if c != "unique_id")
    fam = _family_list()
    return f"""
    select '{prefix}' || record_key as unique_id, {cols} from {source}
    union all
    select '{prefix}' || record_key || '{_SWAP_SUFFIX}', pid, w[1 + 1] || coalesce(' ' || nullif(
             array_to_string(w[3:], ' '), ''), '') || ' ' || w[1], w[2],
           nullif(array_to_string(w[3:], ' '), ''), w[1],
           birth_date, birth_ym, birth_md, birth_year, birth_date_swapped, sex, commune_code,
           province_code, phone, address
    from (select *, string_split(name_folded, ' ') as w from {source})
    where len(w) >= 2 and list_contains({fam}, w[2])
      and (not list_contains({fam}, w[1]) or (len(w) >= 3 and w[-1] in {_MIDDLE_ONLY}))
    """


def _left_sql(seed: int) -> str:
    """The left side: unsettled records (and their family-first reading, see
    :func:`records_sql`), and a sample of ID-linked records (labels)."""
    cols = ", ".join(c for c in SPLINK_COLUMNS if c != "unique_id")
    return f"""
    create table left_in as
    with rest as (
      select * from s
      where record_key not in (select record_key from det where outcome is not null)
    )
    {records_sql("rest")}
    union all
    select * from (
      select '{_LABEL_PREFIX}' || s.record_key, {", ".join("s." + c for c in cols.split(", "))}
      from s join det using (record_key)
      where det.method = 'id'
      order by hash(s.record_key || '{seed}')
      limit {LABEL_SAMPLE}
    )
    """


def probabilistic(
    con: duckdb.DuckDBPyConnection,
    backend: Backend,
    *,
    seed: int,
    on_step: Callable[[str, int], None],
) -> dict[str, Any]:
    """Fill table ``pairs`` (record_key, citizen_pid, probability) for unsettled records.

    m is estimated from labelled pairs when the ID number linked enough records (their
    pairs are true matches carrying the dataset's own typos and swaps); otherwise by
    expectation maximisation on two blocking rules. u always by random sampling.
    """
    con.execute(
        "create table pairs (record_key varchar, citizen_pid varchar, probability double,"
        " log_bf double, raw_probability double)"
    )
    con.execute(_left_sql(seed))
    rest = con.sql("select count(*) from left_in where unique_id not like '~label:%'").fetchall()
    if not rest[0][0] or not con.sql("select count(*) from r").fetchall()[0][0]:
        on_step("train", 3)
        on_step("predict", 4)
        reason = "no record left to the probabilistic stage"
        return {"pairs": 0, "training": "none", "calibration": {"method": "none", "reason": reason}}
    from splink import Linker

    cols = ", ".join(SPLINK_COLUMNS[1:])
    con.execute(f"create view right_in as select pid as unique_id, {cols} from r")
    n_right = con.sql("select count(*) from right_in").fetchall()[0][0]
    n_labels = con.sql(
        f"select count(*) from left_in where unique_id like '{_LABEL_PREFIX}%'"
    ).fetchall()[0][0]

    def both(col: str) -> bool:
        sql = f"select (select count({col}) from left_in) > 0 and (select count({col}) from r) > 0"
        return bool(con.sql(sql).fetchall()[0][0])

    with_phone, with_address = both("phone"), both("address")
    # Term frequencies of the whole input (Splink's definition: the share of each value
    # among the non-null values of both sides), computed here once for both linkers.
    for c in _TF_COLUMNS:
        con.execute(f"""
            create table tf_{c} as
            select {c}, cast(count(*) as double) / sum(count(*)) over () as tf_{c}
            from (select {c} from left_in union all select {c} from right_in)
            where {c} is not null group by {c}
        """)
    if backend == "spark":
        from dancu.linkage.match_spark import spark_api

        db_api = spark_api()
        tfs: dict[str, Any] = {c: con.sql(f"select * from tf_{c}").df() for c in _TF_COLUMNS}
    else:
        from splink import DuckDBAPI

        db_api = DuckDBAPI(connection=con)
        tfs = {c: f"tf_{c}" for c in _TF_COLUMNS}
    tf_tables = {c: db_api.register(t, table_name=f"tf_in_{c}") for c, t in tfs.items()}
    # Each sector record has at most one citizen: a random pair matches with 1 / |registry|.
    prior = min(0.5, 1.0 / max(n_right, 2))
    model_settings = settings(prior, phone=with_phone, address=with_address)
    # The model's comparisons rendered for DuckDB, where the levels are counted.
    counted = model_settings.get_settings("duckdb").comparisons
    # u's random citizens are drawn from a sample of the registry: ~100,000 citizens chosen
    # by a hash of the ID number (so it does not depend on DuckDB's threads) plus the
    # ID-linked records' citizens, kept as row numbers of ``r`` (nothing copied).
    modulus = max(1, -(-n_right // TRAIN_SAMPLE))
    train_sample = f"""
        select * from right_in where hash(unique_id || '{seed}') % {modulus} = 0
          or unique_id in (
            select pid from left_in where starts_with(unique_id, '{_LABEL_PREFIX}'))
    """
    con.execute(f"""
        create table u_reg as select rowid as row from r
        where pid in (select unique_id from ({train_sample}))
    """)
    u = _estimate_u(con, counted, seed=seed)
    _count_pid_typos(con, counted, u, seed=seed)
    use_labels = n_labels >= MIN_LABELS
    untrained = 0  # EM blocking rules that found no pair to learn from
    if use_labels:
        # Expectation maximisation over the pairs that share an ID number (a sample of
        # every ID hit, whether its name and date agree or not): nearly all true matches,
        # carrying the file's own typos, swaps and moves. Taking them all, not only the
        # hits the deterministic stage settled (whose names and dates agree by selection),
        # keeps the m of "names differ" and "dates differ" from being estimated as ~0; EM
        # rather than labels leaves a wrong ID number (another person's) to the u side.
        # Splink's own EM over these pairs, done on their counted agreement patterns
        # (``match_training``): no training linker.
        trained = model_settings.get_settings(db_api.sql_dialect.sql_dialect_str)
        training.apply(counted, u=u)
        training.apply(trained.comparisons, u=u)
        m = _estimate_m(con, counted, prior)
        training.apply(trained.comparisons, m=m)
        model = trained.as_dict()
    else:
        from splink import block_on
        from splink.internals.exceptions import SplinkException

        # EM over two blocking rules sees the same sample of the registry as u (the prior
        # stays 1 / |registry|).
        con.execute(f"create table right_train as {train_sample}")
        if backend == "spark":
            left: Any = con.sql("select * from left_in").df()
            right: Any = con.sql("select * from right_train").df()
        else:
            left, right = "left_in", "right_train"
        linker = Linker(
            [
                db_api.register(left, dataset_display_name="sector"),
                db_api.register(right, dataset_display_name="registry"),
            ],
            model_settings,
            log_level="ERROR",
            validate_settings=False,
        )
        for col, tf in tf_tables.items():
            linker.table_management.register_term_frequency_lookup(tf, col)
        training.apply(linker._settings_obj.comparisons, u=u)
        for columns in _EM_RULES:
            on = " and ".join(f"l.{c} = r.{c}" for c in columns)
            found = con.sql(f"select count(*) from left_in l join right_train r on {on}")
            if found.fetchall()[0][0] < MIN_EM_PAIRS:
                # A few records (a commune's first list): the rule teaches nothing, and
                # the m it would have estimated keeps the model's starting value.
                untrained += 1
                continue
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on(*columns), estimate_without_term_frequencies=True, max_pairs=2e6
                )
            except SplinkException:  # degenerate EM: the settings are left as they were
                log.warning("EM on %s did not converge; its m keeps its start", columns)
                untrained += 1
        model = linker.misc.save_model_to_json()
    on_step("train", 3)
    # Predict with the trained model on the unsettled records only (the labels' pairs are
    # not needed) against the citizens that share a blocking key with one of them: the
    # same pairs as against the whole registry, far smaller joins. The term frequencies
    # stay those of the whole input (tf_tables above).
    con.execute(
        "create table left_pred as select * from left_in"
        f" where unique_id not like '{_LABEL_PREFIX}%'"
    )
    # ID-linked records with their ID number hidden, scored like the others: the labels
    # the calibration is fitted on (``match_calibration``).
    con.execute(sample_sql(seed))
    n_calib = con.sql("select count(*) from calib_src").fetchall()[0][0]
    if n_calib:
        con.execute(f"insert into left_pred {records_sql('calib_src', CALIB_PREFIX)}")
    # Records an officer decided on, as they were written (keyed DECISION_PREFIX): labels too.
    con.execute(f"insert into left_pred {records_sql('decided_src')}")
    # The blocked pairs are computed here (joins in DuckDB, oversized blocks cut) and
    # handed to Splink, which then scores exactly them and runs no blocking of its own.
    con.execute(blocked_sql())
    con.execute(
        "create table right_pred as select * from right_in"
        " where unique_id in (select rid from blocked)"
    )
    con.execute(f"""
        create table blocked_pairs as
        select '0' as match_key, 'registry{_JOIN_SEP}' || rid as join_key_l,
               'sector{_JOIN_SEP}' || lid as join_key_r
        from blocked
    """)
    n_cut = con.sql("select count(distinct lid) from blocked where cut").fetchall()[0][0]
    if backend == "spark":
        left = con.sql("select * from left_pred").df()
        right = con.sql("select * from right_pred").df()
        pairs_in: Any = con.sql("select * from blocked_pairs").df()
    else:
        left, right, pairs_in = "left_pred", "right_pred", "blocked_pairs"
    predictor = Linker(
        [
            db_api.register(left, dataset_display_name="sector", table_name="sector_pred"),
            db_api.register(right, dataset_display_name="registry", table_name="registry_pred"),
        ],
        model,
        log_level="ERROR",
        validate_settings=False,
    )
    for col, tf in tf_tables.items():
        predictor.table_management.register_term_frequency_lookup(tf, col)
    predictor.table_management.register_blocked_pairs_for_predict(
        db_api.register(pairs_in, table_name="blocked_in")
    )
    # The record-level posterior weighs a candidate against all the others (see
    # ``posterior``), so the weak ones are kept too: every pair whose Bayes factor is at
    # least a thousandth of the smallest "none of them" term (N * BLOCKING_LOSS); a
    # record would need a thousand such candidates to move its probabilities by 1/1000.
    prior_weight = math.log2(prior / (1 - prior))
    floor = math.log2(max(n_right * BLOCKING_LOSS / 1000, 1e-3))
    preds = predictor.inference.predict(threshold_match_weight=prior_weight + floor)
    if backend == "spark":
        con.register("preds", preds.as_pandas_dataframe())
        table = "preds"
    else:
        table = preds.physical_name
    u_sex = _u_of_agreement(model, "sex")
    con.execute(f"""
        create table name_freq as
        select name_folded, sex, cast(count(*) as double) / {n_right} as f
        from r where name_folded is not null group by all
    """)
    con.execute(f"""
        insert into pairs (record_key, citizen_pid, probability, log_bf)
        select replace(k, '{_SWAP_SUFFIX}', ''), p, max(match_probability),
               max(log_bf)
        from (select k, p, match_probability,
                     (match_weight - {prior_weight!r}) * ln(2) + {_JOINT_NAME_SQL} as log_bf
              from (select case when source_dataset_l = 'sector' then unique_id_l
                                else unique_id_r end as k,
                           case when source_dataset_l = 'sector' then unique_id_r
                                else unique_id_l end as p,
                           match_probability, match_weight
                    from {table}) x
              join left_pred l on l.unique_id = x.k
              join right_pred r on r.unique_id = x.p
              left join tf_family tff on tff.family = r.family
              left join tf_middle tfm on tfm.middle = r.middle
              left join tf_given tfg on tfg.given = r.given
              left join (select name_folded, sum(f) as f from name_freq group by all) fn
                on fn.name_folded = r.name_folded
              left join name_freq fs on fs.name_folded = r.name_folded and fs.sex = r.sex
              cross join (select {u_sex!r} as u_sex) us)
        where k not like '{_LABEL_PREFIX}%'
        group by 1, 2
    """)
    n_pairs = con.sql(f"select count(*) from {table}").fetchall()[0][0]
    share = posterior(con, n_right, ignore=CALIB_PREFIX)
    calibration = calibrate(con, n_registry=n_right, pi=share, sampled=n_calib > 0, model=model)
    calibration["run_bands"] = run_bands(con)
    on_step("predict", 4)
    return {
        "pairs": int(n_pairs),
        "blocked_pairs": int(con.sql("select count(*) from blocked").fetchall()[0][0]),
        "records_with_a_cut_block": int(n_cut),
        "training": "id_labels" if use_labels else "em",
        "em_rules_without_pairs": untrained,
        "in_registry_share": round(share, 4),
        "calibration_records": int(n_calib),
        "calibration": calibration,
    }


def _estimate_u(
    con: duckdb.DuckDBPyConnection, comparisons: Any, *, seed: int
) -> dict[str, dict[int, float | None]]:
    """u of every comparison level from one set of random pairs, in one query.

    Splink's ``estimate_u_using_random_sampling`` joins a sample of each side and runs
    one query per comparison (9 here, each re-joining and re-comparing the pairs). This
    draws ``U_PAIRS`` independent random (sector, citizen) pairs — any record of the left
    side, any citizen of the registry's sample ``u_reg``, each by a seeded hash of the
    pair's number —,
    computes every comparison's level for them with the model's own ``CASE`` expressions
    (``comparisons``, rendered for DuckDB whatever the backend: the tables are here), and
    counts: u of a level is its share among the pairs where the comparison is not null;
    a level never seen gets Splink's "not observed" value, as Splink's own estimate gives
    it (``match_training``).
    """
    n_l = con.sql("select count(*) from left_in").fetchall()[0][0]
    n_r = con.sql("select count(*) from u_reg").fetchall()[0][0]
    # The registry on the left, as Splink puts it in prediction (some levels are written
    # one way round: "birth_date_swapped_l = birth_date_r").
    pairs = f"""
        select {_SIDES}
        from (select hash(i, 'l{seed}') % {n_l} as li, hash(i, 'r{seed}') % {n_r} as ri
              from range({int(U_PAIRS)}) t(i)) t
        join left_in l on l.rowid = t.li
        join u_reg x on x.rowid = t.ri
        join r on r.rowid = x.row
    """
    patterns, counts = training.gamma_counts(con, comparisons, pairs)
    return training.u_from_counts(comparisons, patterns, counts)


def _count_pid_typos(
    con: duckdb.DuckDBPyConnection,
    comparisons: Any,
    u: dict[str, dict[int, float | None]],
    *,
    seed: int,
) -> None:
    """The ID number's "one keystroke" u counted from the registry
    (:func:`match_training.one_keystroke_u`: random pairs hardly show it), and "different"
    the rest; training and prediction then read the same number."""
    pid = next((c for c in comparisons if c.output_column_name == "pid"), None)
    if pid is None or "pid" not in u:
        return
    equal, typo, other = sorted(
        (lv.comparison_vector_value for lv in pid._comparison_levels_excluding_null),
        reverse=True,
    )
    rest = 1.0 - (u["pid"][equal] or 0.0)
    counted = training.one_keystroke_u(con, "r", sample=TYPO_SAMPLE, seed=seed)
    # A registry of a few citizens shows no typo pair, and one_keystroke_u's bound of one
    # pair among so few is large: it may not eat the "different" level's share (a
    # registry of three made "different" -0.33, which Splink refuses).
    u["pid"][typo] = min(counted, rest / 2)
    u["pid"][other] = rest - u["pid"][typo]


def _estimate_m(
    con: duckdb.DuckDBPyConnection, comparisons: Any, prior: float
) -> dict[str, dict[int, float | None]]:
    """m by expectation maximisation over the pairs of an ID-linked record (a label) and
    the citizen of its ID number, u fixed, as Splink's EM blocked on "same ID number":
    the ID number's comparison is left out (the rule fixes it) and its "equal" level's
    Bayes factor raises the starting lambda (``match_training``)."""
    pairs = f"""
        select {_SIDES}
        from left_in l join right_in r on r.unique_id = l.pid
        where starts_with(l.unique_id, '{_LABEL_PREFIX}')
    """
    used = [c for c in comparisons if c.output_column_name != "pid"]
    pid = next(c for c in comparisons if c.output_column_name == "pid")
    equal = max(pid._comparison_levels_excluding_null, key=lambda lv: lv.comparison_vector_value)
    patterns, counts = training.gamma_counts(con, used, pairs)
    start = training.blocking_adjusted_lambda(prior, [equal])
    m, _, _ = training.em_from_counts(used, patterns, counts, start)
    return m


_SIDES = ", ".join(f"r.{c} as {c}_l, l.{c} as {c}_r" for c in SPLINK_COLUMNS if c != "unique_id")


# Splink's comparisons treat family, middle and given name (and sex) as independent: a
# pair agreeing on all of them gets u = tf(family) * tf(middle) * tf(given) * u(sex equal).
# They are not (Thị and Văn go with sex, given names with sex and middle name): over a
# generated registry of 1,000,000 from the demo's real-frequency tables, that product is
# ~3.5 times too small (median 4) against the frequency of the full name and sex. For a
# pair whose names all agree, the product is replaced by the frequency of the registry
# citizen's full name (and sex, when both sides give the same sex).
_JOINT_NAME_SQL = """
coalesce(case when l.family = r.family and l.middle = r.middle and l.given = r.given then
  ln(tff.tf_family * tfm.tf_middle * tfg.tf_given
     * case when l.sex = r.sex then us.u_sex else 1 end)
  - ln(case when l.sex = r.sex then fs.f else fn.f end) end, 0)
"""


def _u_of_agreement(model: dict[str, Any], column: str) -> float:
    """u of the first non-null level (agreement) of a comparison in a saved model."""
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] == column:
            for level in comparison["comparison_levels"]:
                if not level.get("is_null_level") and "u_probability" in level:
                    return float(level["u_probability"])
    return 1.0
