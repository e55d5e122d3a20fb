"""Bulk load: ``import_citizens`` of a generated CSV against a plain ``COPY`` of the same rows.

Both write the same rows into the same ``citizen`` table (same indexes and constraints, the
table truncated before each run) in one transaction each, alternating which goes first. The
baseline streams a CSV that already holds the derived columns (folded name, province,
status, timestamps) straight into ``COPY``: it is what PostgreSQL alone costs, so
``import / baseline`` is the share of PostgreSQL's ingest speed the importer keeps. The
``dancu demo`` loader (households, members, cards, deaths, spouse links) is timed too.
"""

from __future__ import annotations

import csv
import statistics
import tempfile
from datetime import date
from pathlib import Path

import psycopg
from sqlalchemy.orm import Session

from bench.common import (
    PROVINCE,
    SEED,
    TODAY,
    Table,
    goal,
    stopwatch,
    temp_database,
    write_population_csv,
)
from dancu.common.access import SYSTEM_ACTOR
from dancu.db import make_engine, utcnow
from dancu.registry import importer

BLOCK = 1 << 20


def write_baseline_csv(source: Path, target: Path) -> int:
    """The same rows with every ``citizen`` column the importer writes, derived in advance."""
    now = utcnow().isoformat()
    count = 0
    with (
        source.open(encoding="utf-8", newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        reader = csv.DictReader(src)
        writer = csv.writer(dst)
        writer.writerow(importer.COPY_COLUMNS)
        for row in reader:
            values = list(importer.validate_row(row, TODAY))
            values[-2:] = [now, now]
            writer.writerow(values)
            count += 1
    return count


def copy_baseline(url: str, path: Path) -> None:
    """Plain COPY of the prepared CSV bytes into ``citizen`` in one transaction."""
    cols = ", ".join(importer.COPY_COLUMNS)
    sql = f"COPY citizen ({cols}) FROM STDIN (FORMAT csv, HEADER true)"
    with psycopg.connect(url) as conn, conn.cursor() as cur, path.open("rb") as handle:
        with cur.copy(sql) as copy:
            while block := handle.read(BLOCK):
                copy.write(block)
        conn.commit()


def run_import(engine, path: Path) -> importer.ImportReport:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        report = importer.import_citizens(session, path, actor=SYSTEM_ACTOR, today=TODAY)
        session.commit()
    return report


def reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE citizen CASCADE")
        conn.execute("CHECKPOINT")


def measure_import(citizens: int, rounds: int, table: Table) -> None:
    with tempfile.TemporaryDirectory(prefix="dancu-bench-") as tmp:
        source, prepared = Path(tmp) / "citizens.csv", Path(tmp) / "baseline.csv"
        with stopwatch() as t:
            rows = write_population_csv(source, citizens)
            write_baseline_csv(source, prepared)
        print(f"  generated {rows:,} rows in {t[0]:.1f} s", flush=True)
        with temp_database("load") as url:
            engine = make_engine(url)
            reset(url)
            copy_baseline(url, prepared)  # warm-up: new WAL segments, caches (not timed)
            base_times, import_times = [], []
            for r in range(rounds):
                order = ("baseline", "import") if r % 2 == 0 else ("import", "baseline")
                for which in order:
                    reset(url)
                    with stopwatch() as t:
                        if which == "baseline":
                            copy_baseline(url, prepared)
                        else:
                            report = run_import(engine, source)
                    (base_times if which == "baseline" else import_times).append(t[0])
                    print(f"  round {r + 1} {which}: {rows / t[0]:,.0f} rows/s", flush=True)
                    if which == "import" and (report.imported != rows or report.errors):
                        raise RuntimeError(f"import wrote {report.imported} of {rows} rows")
            engine.dispose()
    base, imp = statistics.median(base_times), statistics.median(import_times)
    table.add("baseline COPY", f"{rows / base:,.0f} rows/s", f"median of {rounds}, {base:.1f} s")
    table.add("import_citizens", f"{rows / imp:,.0f} rows/s", f"median of {rounds}, {imp:.1f} s")
    ratio = base / imp
    table.add("ratio import / baseline", f"{ratio:.2f}", goal(ratio, 0.5))


def load_demo_into(url: str, citizens: int) -> float:
    """``dancu demo``'s loader into ``url`` in one transaction; returns the seconds taken."""
    from dancu.demo.cli import DEMO_ACTOR
    from dancu.demo.load import load_demo

    engine = make_engine(url)
    with stopwatch() as t, Session(engine) as session:
        load_demo(
            session,
            actor=DEMO_ACTOR,
            province_code=PROVINCE,
            citizens=citizens,
            seed=SEED,
            today=date.today(),
        )
        session.commit()
    engine.dispose()
    return t[0]


def report_demo(table: Table, citizens: int, seconds: float) -> None:
    table.add(
        "load_demo (dancu demo)",
        f"{citizens / seconds:,.0f} citizens/s",
        f"{seconds:.1f} s for {citizens:,} with households, cards, deaths",
    )


def main(citizens: int, rounds: int = 2, demo: tuple[str, float] | None = None) -> Table:
    """Run the load benchmark; ``demo`` is (url, seconds) of a demo load already done."""
    table = Table(f"registry_load: {citizens:,} citizens")
    print(table.title, flush=True)
    measure_import(citizens, rounds, table)
    if demo is None:
        with temp_database("demo") as url:
            report_demo(table, citizens, load_demo_into(url, citizens))
    else:
        report_demo(table, citizens, demo[1])
    return table
