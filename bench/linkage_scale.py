"""Linking sector records to a large registry, end to end: ``dancu linkage run`` on
PostgreSQL beside plain Splink on the same files.

The data (bench/linkage_data.py) is generated once. The registry is copied into the
``citizen`` table of a throw-away PostgreSQL database and the sector file, written as the
CSV an agency would send (``ma_so_bhxh, ho_ten, so_cccd, ngay_sinh, gioi_tinh, ma_xa``), is
imported with the service (both set-up, not timed). Then, each in its own process (peak
memory = ``ru_maxrss`` of that process; the wall time is the whole process, interpreter
start and imports included):

* dancu: ``dancu linkage run ID`` — read the dataset and the province's citizens from
  PostgreSQL (audited), link, store every result, finalize; its stages as it prints them.
* plain Splink: read the same registry and sector rows (the generator's Parquet files),
  one link_only model over all records, blocking on birth date or ID number, u by random
  sampling (1e6 pairs), m by EM on birth date and on family + given name + commune, a
  record linked to its best candidate at probability >= 0.5, the links written to Parquet.

Accuracy is scored from the stored results against the generator's truth, after every run
(with ``--before``, the "before" run's too); calibration of the probabilities per band
(share of right links among the records whose best candidate falls in the band, against
the band's mean probability), over all records and per stratum of the calibration (no ID
number; an ID number in the registry; a valid one that is not).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

from bench.common import Table, goal


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


def splink_process(data: Path) -> None:
    """Plain Splink's whole job in this process: read the files, link, write the links."""
    started = time.perf_counter()
    registry = pd.read_parquet(data / "registry.parquet")
    sector = pd.read_parquet(data / "sector.parquet")
    linking = time.perf_counter()
    out = plain_splink(sector, registry)
    link_seconds = time.perf_counter() - linking
    out.to_parquet(data / "splink-links.parquet")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB
    print(
        json.dumps(
            {
                "link_seconds": link_seconds,
                "inside_seconds": time.perf_counter() - started,
                "peak_mib": peak,
            }
        )
    )


# ---------------------------------------------------------------------------- set-up

CSV_COLUMNS = ("ma_so_bhxh", "ho_ten", "so_cccd", "ngay_sinh", "gioi_tinh", "ma_xa")
MAPPING = {
    "record_key": "ma_so_bhxh",
    "full_name": "ho_ten",
    "id_number": "so_cccd",
    "birth_date": "ngay_sinh",
    "sex": "gioi_tinh",
    "commune_code": "ma_xa",
}
CITIZEN_COLUMNS = (
    "pid, full_name, name_folded, birth_date, sex, ethnicity, religion, nationality,"
    " place_of_birth, hometown, province_code, commune_code, address_detail, status,"
    " death_date, marital_status, created_at, updated_at"
)


def load_registry(url: str, reg: pd.DataFrame) -> None:
    """The generated registry into ``citizen`` with one COPY (its rules are not the point)."""
    now = datetime.now(UTC)
    birth = reg["birth_date"].to_numpy(str)
    dead = reg["status"].to_numpy() == "deceased"
    death = np.where(dead, np.where(birth > "2024-06-01", birth, "2024-06-01"), None)
    rows = zip(
        reg["pid"],
        reg["full_name"],
        reg["name_folded"],
        birth,
        reg["sex"],
        reg["commune_code"],
        np.where(dead, "deceased", "alive"),
        death,
        strict=True,
    )
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY citizen ({CITIZEN_COLUMNS}) FROM STDIN") as copy:
            for pid, name, folded, born, sex, commune, status, died in rows:
                copy.write_row(
                    (
                        pid,
                        name,
                        folded,
                        born,
                        sex,
                        "Kinh",
                        "Không",
                        "VN",
                        "",
                        "",
                        "66",
                        commune,
                        "",
                        status,
                        died,
                        "single",
                        now,
                        now,
                    )
                )
        cur.execute("ANALYZE citizen")


def write_sector_csv(path: Path, sec: pd.DataFrame) -> None:
    """The sector frame as an agency's CSV: a name written with its errors (without
    diacritics when the generator changed it), ISO or partial dates, Nam/Nữ."""
    from dancu.common.textfold import fold

    original = sec["full_name"].map(fold) == sec["name_folded"]
    shown = sec["full_name"].where(original, sec["name_folded"].str.title())
    ident = sec["pid"].where(sec["pid"].notna(), None)
    sex = sec["sex"].map({"M": "Nam", "F": "Nữ"})
    frame = pd.DataFrame(
        {
            "ma_so_bhxh": sec["record_key"],
            "ho_ten": shown,
            "so_cccd": ident,
            "ngay_sinh": sec["birth_date"],
            "gioi_tinh": sex,
            "ma_xa": sec["commune_code"],
        }
    )
    frame.to_csv(path, index=False, encoding="utf-8")


def import_sector(url: str, path: Path) -> int:
    """Import the CSV with the service (as ``dancu linkage import`` does); its dataset id."""
    from dancu.common.access import SYSTEM_ACTOR
    from dancu.db import get_sessionmaker
    from dancu.db.engine import get_engine
    from dancu.db.uow import unit_of_work
    from dancu.linkage import service
    from dancu.settings import get_settings

    before = os.environ.get("DANCU_DATABASE_URL")
    os.environ["DANCU_DATABASE_URL"] = url
    for cached in (get_settings, get_engine, get_sessionmaker):
        cached.cache_clear()
    try:
        with unit_of_work(get_sessionmaker()) as session:
            out = service.import_dataset(
                session,
                path,
                file_name=path.name,
                source_type="social_insurance",
                province_code="66",
                actor=SYSTEM_ACTOR,
                mapping=MAPPING,
                today=date(2025, 10, 1),
            )
            return out.source.id
    finally:  # the other benchmarks of the same process see the settings they had
        get_engine().dispose()
        if before is None:
            os.environ.pop("DANCU_DATABASE_URL", None)
        else:
            os.environ["DANCU_DATABASE_URL"] = before
        for cached in (get_settings, get_engine, get_sessionmaker):
            cached.cache_clear()


def run_dancu(url: str, source_id: int, src: str | None = None) -> dict[str, object]:
    """``dancu linkage run ID`` in a process of its own: wall time, peak memory, stages
    (``src``: the ``dancu`` of another source tree, e.g. the main branch's, on the same data)."""
    env = {**os.environ, "DANCU_DATABASE_URL": url, "COLUMNS": "200"}
    if src is not None:
        env["PYTHONPATH"] = src
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_AT_EXIT, "linkage", "run", str(source_id)],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if proc.returncode:
        raise RuntimeError(f"dancu linkage run failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    stages = next(x for x in proc.stdout.splitlines() if x.startswith("stages: "))
    peak = int(proc.stderr.rsplit("PEAK_RSS_KIB ", 1)[1].split()[0]) / 1024
    return {"wall": wall, "peak_mib": peak, "stages": stages.removeprefix("stages: ")}


PEAK_AT_EXIT = """
import atexit, resource, sys
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
atexit.register(lambda: print("PEAK_RSS_KIB", peak(), file=sys.stderr))
from dancu.cli import app
app()
"""


def stored_outcomes(url: str, source_id: int) -> pd.DataFrame:
    """The run's results as the scorer wants them (record_key = the file's ma_so_bhxh)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """select r.normalized ->> 'record_key', x.outcome, x.citizen_pid, x.probability
               from linkage_result x join linkage_record r on r.id = x.record_id
               where x.source_id = %s""",
            (source_id,),
        ).fetchall()
    return pd.DataFrame(rows, columns=["record_key", "outcome", "citizen_pid", "probability"])


BANDS = ((0.5, 0.7), (0.7, 0.9), (0.9, 0.99), (0.99, 1.0001))


def stored_calibration(url: str, source_id: int) -> dict | None:
    """The calibration the latest run of the dataset stored (``linkage_job.calibration``)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select calibration from linkage_job where source_id = %s order by id desc limit 1",
            (source_id,),
        ).fetchone()
    return row[0] if row else None


def calibration_rows(table: Table, stored: dict | None) -> None:
    """The engine's own check of its calibration: per stratum how it was fitted, and per
    band the held-out labels' share right against their mean calibrated (and raw) p."""
    if not stored:
        table.add("dancu calibration (engine)", "none stored with the run")
        return
    for name, part in (stored.get("strata") or {}).items():
        how = part.get("method", "none")
        detail = (
            f"{part.get('labels', 0):,} labels, {part.get('records', 0):,} records,"
            f" not in the registry ~{part.get('outside_share', 0):.2f}"
        )
        table.add(
            f"dancu calibration, records {name.replace('_', ' ')}",
            how,
            part.get("reason", detail) if how == "none" else detail,
        )
    if "sync_threshold" in stored:
        table.add("dancu sync threshold (calibrated p)", f"{stored['sync_threshold']:.3f}")
    if "decision_labels" in stored:
        got = stored["decision_labels"]
        table.add(
            "dancu calibration, officers' decisions as labels",
            f"{got['used']:,} used of {got['decisions']:,}",
            f"{got['settled_without_splink']:,} settled without Splink (a fresh dataset has none)",
        )
    for band in stored.get("held_out_bands") or []:
        table.add(
            f"dancu calibration {band['band']}, held-out labels",
            f"{band['right']:.3f} right at mean p {band['mean_p']:.3f}"
            f" (raw {band['mean_raw']:.3f})",
            f"{band['records']:,} labels standing for {band['weight']:,.0f} records",
        )


def raw_means(stored: dict | None) -> dict[float, float]:
    """Band's lower bound -> mean raw p of the run's records in that band of calibrated p."""
    bands = (stored or {}).get("run_bands") or []
    return {float(b["band"][1:].split(",")[0]): b["mean_raw"] for b in bands}


def missed_by_error(outcomes: pd.DataFrame, truth: pd.Series, records: pd.DataFrame) -> str:
    """The true links not synced, counted by the generator's error (a record with two
    errors counts under both): where the recall is lost."""
    synced = outcomes["outcome"].isin(["synced", "synced_with_differences", "duplicate_in_source"])
    got = pd.Series(outcomes["citizen_pid"].where(synced).to_numpy(), index=outcomes["record_key"])
    expected = truth[truth.notna()]
    missed = expected.index[got.reindex(expected.index).to_numpy() != expected.to_numpy()]
    errors = records.set_index("record_key")["errors"].reindex(missed).fillna("")
    counts = errors.str.split().explode().replace("", "none").fillna("none").value_counts()
    return f"{len(missed):,} missed: " + ", ".join(f"{k} {v}" for k, v in counts.head(8).items())


def calibration(
    outcomes: pd.DataFrame, truth: pd.Series, strata: pd.Series | None = None
) -> list[tuple[str, str, int, float, float]]:
    """Per band of the best candidate's probability: (stratum, band, records, mean p, share
    right), over all records ("all") and, given ``strata`` (record_key -> the calibration's
    stratum), per stratum."""
    probabilistic = outcomes[outcomes["probability"].notna() & outcomes["citizen_pid"].notna()]
    right = (
        probabilistic["citizen_pid"].to_numpy()
        == truth.reindex(probabilistic["record_key"]).to_numpy()
    )
    p = probabilistic["probability"].to_numpy(float)
    groups = {"all": np.ones(len(p), bool)}
    if strata is not None:
        of = strata.reindex(probabilistic["record_key"]).to_numpy()
        groups |= {name: of == name for name in STRATA}
    out = []
    for name, member in groups.items():
        for lo, hi in BANDS:
            mask = member & (p >= lo) & (p < hi)
            if mask.any() and (name == "all" or hi < 1):
                band = f"[{lo:g}, {min(hi, 1):g})"
                out.append((name, band, int(mask.sum()), p[mask].mean(), right[mask].mean()))
    return out


STRATA = ("without_id", "id_in_registry", "id_not_in_registry")


def record_strata(records: pd.DataFrame, registry_pids: set[str]) -> pd.Series:
    """record_key -> the calibration's stratum the record would fall in when left to the
    probabilistic stage: no valid ID number; one in the registry; a valid one that is not."""
    pid = records["pid"]
    known = pid.isin(registry_pids).to_numpy()
    stratum = np.where(pid.isna().to_numpy(), STRATA[0], np.where(known, STRATA[1], STRATA[2]))
    return pd.Series(stratum, index=records["record_key"].to_numpy())


def _run_label(i: int, n: int, before: str | None) -> str:
    if before is None:
        return "first run" if i == 0 else f"run {i + 1}"
    return "before" if i == 0 else ("after" if n == 2 else f"after, run {i}")


def main(
    citizens: int = 1_000_000,
    records: int = 200_000,
    *,
    dancu_runs: int = 1,
    before: str | None = None,
) -> Table:
    """``before``: first run that source tree's ``dancu`` (say the main branch's ``src``) on
    the same data, then this one's, back to back: the first run is "before", the last "after"."""
    from bench.common import temp_database
    from bench.linkage_data import registry as make_registry
    from bench.linkage_data import score
    from bench.linkage_data import sector as make_sector

    table = Table(f"Linkage at scale: {records:,} sector records against {citizens:,} citizens")
    with (
        tempfile.TemporaryDirectory(prefix="dancu-linkage-") as tmp,
        temp_database("linkage") as url,
    ):
        data = Path(tmp)
        print(f"generating {citizens:,} citizens and {records:,} sector records ...", flush=True)
        reg = make_registry(citizens)
        sec = make_sector(reg, records)
        reg.to_parquet(data / "registry.parquet")
        sec.records.to_parquet(data / "sector.parquet")
        truth = sec.truth
        with_errors = sec.records
        print("loading the registry into PostgreSQL ...", flush=True)
        load_registry(url, reg)
        strata = record_strata(sec.records, set(reg["pid"]))
        del reg
        write_sector_csv(data / "bhxh.csv", with_errors)
        print("importing the sector file ...", flush=True)
        t0 = time.perf_counter()
        source_id = import_sector(url, data / "bhxh.csv")
        table.add("set-up: sector import (not timed below)", f"{time.perf_counter() - t0:.1f} s")
        load = os.getloadavg()
        print("running plain Splink ...", flush=True)
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "bench.linkage_scale", "splink", str(data)],
            capture_output=True,
            text=True,
        )
        splink_wall = time.perf_counter() - started
        if proc.returncode:
            raise RuntimeError(f"splink failed:\n{proc.stderr[-3000:]}")
        sp = json.loads(proc.stdout.strip().splitlines()[-1])
        splink_links = pd.read_parquet(data / "splink-links.parquet")
        runs = []
        scored = []  # each run's stored outcomes and calibration (a run replaces the last's)
        if before is not None:
            print(f"running dancu linkage run from {before} (before) ...", flush=True)
            runs.append(run_dancu(url, source_id, before))
            scored.append((stored_outcomes(url, source_id), stored_calibration(url, source_id)))
        for i in range(dancu_runs):
            print(f"running dancu linkage run ({i + 1}) ...", flush=True)
            runs.append(run_dancu(url, source_id))
            scored.append((stored_outcomes(url, source_id), stored_calibration(url, source_id)))
        load = (load, os.getloadavg())
        outcomes, stored = scored[-1]
    d = runs[0]
    table.add("load average (1, 5, 15 min) before / after", f"{load[0]} / {load[1]}")
    table.add(
        "plain Splink: process wall time",
        f"{splink_wall:.1f} s",
        f"linking alone {sp['link_seconds']:.1f} s",
    )
    table.add("plain Splink: peak memory", f"{sp['peak_mib']:,.0f} MiB")
    for i, r in enumerate(runs):
        label = _run_label(i, len(runs), before)
        table.add(f"dancu linkage run, {label}: wall time", f"{r['wall']:.1f} s")
        table.add(f"dancu linkage run, {label}: stages", str(r["stages"]))
        table.add(f"dancu linkage run, {label}: peak memory", f"{r['peak_mib']:,.0f} MiB")
    for name, out in (("plain Splink", splink_links), ("dancu", outcomes)):
        acc = score(out, truth, include_review=False)
        table.add(
            f"{name}: precision / recall",
            f"{acc['precision']:.4f} / {acc['recall']:.4f}",
            "records linked without review" if name == "dancu" else "links at p >= 0.5",
        )
    reviewed = score(outcomes, truth, include_review=True)
    table.add(
        "dancu at probability >= 0.5: precision / recall",
        f"{reviewed['precision']:.4f} / {reviewed['recall']:.4f}",
        "probable matches >= 0.5 (review queue) counted, as for splink",
    )
    for i, (run_outcomes, run_stored) in enumerate(scored):
        label = "" if len(scored) == 1 else f", {_run_label(i, len(runs), before)}"
        if label and i < len(scored) - 1:
            acc = score(run_outcomes, truth, include_review=False)
            table.add(
                f"dancu{label}: precision / recall",
                f"{acc['precision']:.4f} / {acc['recall']:.4f}",
                "records linked without review",
            )
        raw = raw_means(run_stored)
        for name, band, n, mean_p, right in calibration(run_outcomes, truth, strata):
            lo = float(band[1:].split(",")[0])
            shown = f" (raw {raw[lo]:.3f})" if name == "all" and lo in raw and lo < 0.99 else ""
            where = "" if name == "all" else f", records {name.replace('_', ' ')}"
            table.add(
                f"dancu calibration{label}{where} {band}",
                f"{right:.3f} right at mean p {mean_p:.3f}{shown}",
                f"{n:,} records; p calibrated, raw = the engine's uncalibrated p",
            )
    calibration_rows(table, stored)
    table.add(
        "dancu: true links not synced, by error", missed_by_error(outcomes, truth, sec.records)
    )
    speedup = splink_wall / d["wall"]
    table.add("speed-up, first run (splink / dancu)", f"{speedup:.2f}x", goal(speedup, 3.0))
    inside = float(str(d["stages"]).rsplit("total ", 1)[1].split()[0])
    table.add(
        "speed-up, the run without the CLI's start-up (splink / dancu stages)",
        f"{splink_wall / inside:.2f}x",
        f"dancu {inside:.1f} s from the claim to the report; `dancu` imports every domain",
    )
    if len(runs) > 1:
        last = runs[-1]
        again = splink_wall / last["wall"]
        table.add("speed-up, last run (splink / dancu)", f"{again:.2f}x", goal(again, 3.0))
        last_inside = float(str(last["stages"]).rsplit("total ", 1)[1].split()[0])
        table.add(
            "speed-up, last run without the CLI's start-up",
            f"{splink_wall / last_inside:.2f}x",
            f"dancu {last_inside:.1f} s from the claim to the report",
        )
    if before is not None:
        table.add(
            "after / before, wall time",
            f"{runs[0]['wall'] / runs[-1]['wall']:.2f}x faster",
            f"{runs[0]['wall']:.1f} s -> {runs[-1]['wall']:.1f} s",
        )
    acc = score(outcomes, truth, include_review=False)
    table.add("dancu precision (synced)", f"{acc['precision']:.4f}", goal(acc["precision"], 0.99))
    table.add("dancu recall (synced)", f"{acc['recall']:.4f}", goal(acc["recall"], 0.99))
    return table


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "splink":
        splink_process(Path(sys.argv[2]))
    else:
        args = [a for a in sys.argv[1:] if not a.startswith("--before=")]
        before = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--before=")), None)
        citizens = int(args[0]) if args else 1_000_000
        records = int(args[1]) if len(args) > 1 else citizens // 5
        print(main(citizens, records, before=before).render())
