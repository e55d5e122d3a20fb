"""Linking sector records to a large registry: dancu's matcher beside plain Splink.

The data (bench/linkage_data.py) is generated once into Parquet files; each side then runs
in its own subprocess, so its peak memory (``ru_maxrss``) is its own. Both read the same
frames; the wall time covers only the linkage (both sides' input frames are already in
memory). Plain Splink is configured the usual way for this data: one link_only model over
all sector records, blocking on birth date or ID number, u by random sampling (1e6 pairs),
m by EM on birth date and on family + given name + commune, a record linked to its best
candidate at probability >= 0.5. dancu links with
``dancu.linkage.match.link`` (ID numbers first, then Splink on the rest).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench.common import Table, goal

SIDES = ("dancu", "splink")


def plain_splink(sector: pd.DataFrame, registry: pd.DataFrame) -> pd.DataFrame:
    """Best candidate per sector record at probability >= 0.5 (record_key, citizen_pid)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    cols = ["pid", "family", "middle", "given", "birth_date", "sex", "commune_code"]
    left = sector[["record_key", *cols]].rename(columns={"record_key": "unique_id"})
    left["pid"] = left["pid"].where(left["pid"].notna(), None)
    right = registry[cols].assign(unique_id=registry["pid"])
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=1 / len(right),
        blocking_rules_to_generate_predictions=[block_on("birth_date"), block_on("pid")],
        comparisons=[
            cl.NameComparison("family").configure(term_frequency_adjustments=True),
            cl.NameComparison("given").configure(term_frequency_adjustments=True),
            cl.ExactMatch("middle"),
            cl.DateOfBirthComparison(
                "birth_date", input_is_string=True, invalid_dates_as_null=True
            ),
            cl.ExactMatch("sex"),
            cl.ExactMatch("commune_code"),
            cl.ExactMatch("pid"),
        ],
    )
    db_api = DuckDBAPI()
    linker = Linker(
        [
            db_api.register(left, dataset_display_name="sector"),
            db_api.register(right, dataset_display_name="registry"),
        ],
        settings,
        log_level="ERROR",
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_date"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("family", "given", "commune_code"), estimate_without_term_frequencies=True
    )
    preds = linker.inference.predict(threshold_match_probability=0.5)
    best = preds.as_duckdbpyrelation().query(
        "p",
        """select case when source_dataset_l = 'sector' then unique_id_l else unique_id_r end
                    as record_key,
                  case when source_dataset_l = 'sector' then unique_id_r else unique_id_l end
                    as citizen_pid, match_probability as probability
           from p qualify row_number() over (partition by record_key
                                             order by match_probability desc) = 1""",
    )
    out = best.df()
    out["outcome"] = "synced"
    return out


def run_side(side: str, data: Path) -> dict[str, float]:
    """One side in this process: link, score, report time and peak memory."""
    from bench.linkage_data import score

    registry = pd.read_parquet(data / "registry.parquet")
    sector = pd.read_parquet(data / "sector.parquet")
    truth = pd.Series(sector["true_pid"].to_numpy(), index=sector["record_key"])
    start = time.perf_counter()
    if side == "dancu":
        from dancu.linkage.match import link

        result = link(sector, registry, backend="duckdb")
        outcomes = result.outcomes
        extra = {"seconds": result.metrics["seconds"], "pairs": result.metrics["pairs"]}
    else:
        outcomes = plain_splink(sector, registry)
        extra = {}
    wall = time.perf_counter() - start
    accepted = score(outcomes, truth, include_review=False)
    reviewed = score(outcomes, truth, include_review=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB
    return {
        "wall": wall,
        "peak_mib": peak,
        "precision": accepted["precision"],
        "recall": accepted["recall"],
        "precision_review": reviewed["precision"],
        "recall_review": reviewed["recall"],
        **extra,
    }


def main(citizens: int = 1_000_000, records: int = 200_000) -> Table:
    from bench.linkage_data import registry as make_registry
    from bench.linkage_data import sector as make_sector

    table = Table(f"Linkage at scale: {records:,} sector records against {citizens:,} citizens")
    with tempfile.TemporaryDirectory(prefix="dancu-linkage-") as tmp:
        data = Path(tmp)
        print(f"generating {citizens:,} citizens and {records:,} sector records ...", flush=True)
        reg = make_registry(citizens)
        sec = make_sector(reg, records)
        reg.to_parquet(data / "registry.parquet")
        sec.records.to_parquet(data / "sector.parquet")
        del reg, sec
        res: dict[str, dict] = {}
        for side in SIDES:
            print(f"running {side} ...", flush=True)
            proc = subprocess.run(
                [sys.executable, "-m", "bench.linkage_scale", side, str(data)],
                capture_output=True,
                text=True,
            )
            if proc.returncode:
                raise RuntimeError(f"{side} failed:\n{proc.stderr[-3000:]}")
            res[side] = json.loads(proc.stdout.strip().splitlines()[-1])
    d, s = res["dancu"], res["splink"]
    for side, r in res.items():
        table.add(f"{side}: wall time", f"{r['wall']:.1f} s")
        table.add(f"{side}: peak memory", f"{r['peak_mib']:,.0f} MiB")
        table.add(f"{side}: precision", f"{r['precision']:.4f}")
        table.add(f"{side}: recall", f"{r['recall']:.4f}")
    table.add(
        "dancu at probability >= 0.5: precision / recall",
        f"{d['precision_review']:.4f} / {d['recall_review']:.4f}",
        "probable matches >= 0.5 (review queue) counted, as for splink",
    )
    table.add("dancu steps", " ".join(f"{k}={v:.1f}s" for k, v in d["seconds"].items()))
    speedup = s["wall"] / d["wall"]
    table.add("speed-up (splink / dancu)", f"{speedup:.2f}x", goal(speedup, 3.0))
    table.add("dancu precision (synced)", f"{d['precision']:.4f}", goal(d["precision"], 0.99))
    table.add("dancu recall (synced)", f"{d['recall']:.4f}", goal(d["recall"], 0.99))
    table.add(
        "dancu recall at probability >= 0.5",
        f"{d['recall_review']:.4f}",
        goal(d["recall_review"], 0.99),
    )
    return table


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] in SIDES:
        print(json.dumps(run_side(sys.argv[1], Path(sys.argv[2]))))
    else:
        citizens = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
        records = int(sys.argv[2]) if len(sys.argv) > 2 else citizens // 5
        print(main(citizens, records).render())
