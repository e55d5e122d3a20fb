"""Shared helpers for the benchmarks: a throw-away PostgreSQL database, the generated
population as a CSV file, timing and the printed table of figures."""

from __future__ import annotations

import csv
import os
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg

from dancu.demo.population import PersonRow, generate

SERVER_URL = os.environ.get("DANCU_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432")
PROVINCE = "66"
SEED = 6
TODAY = date(2025, 10, 1)
IMPORT_COLUMNS = (
    "pid",
    "full_name",
    "birth_date",
    "sex",
    "ethnicity",
    "religion",
    "nationality",
    "place_of_birth",
    "hometown",
    "commune_code",
    "address_detail",
)


def database_url(name: str) -> str:
    return f"{SERVER_URL.rstrip('/')}/{name}"


@contextmanager
def temp_database(label: str) -> Iterator[str]:
    """A fresh database ``dancu_bench_<pid>_<label>`` migrated to head; dropped afterwards."""
    from alembic import command

    from dancu.cli import alembic_config

    name = f"dancu_bench_{os.getpid()}_{label}"
    admin = database_url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    try:
        command.upgrade(alembic_config(url), "head")
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_population_csv(path: Path, citizens: int, seed: int = SEED) -> int:
    """The generated province flattened to the importer's columns; returns the row count."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_COLUMNS)
        for hh in generate(province_code=PROVINCE, citizens=citizens, seed=seed, today=TODAY):
            writer.writerows(_csv_row(p) for p in hh.members)
            count += len(hh.members)
    return count


def _csv_row(p: PersonRow) -> tuple[str, ...]:
    return (
        p.pid,
        p.full_name,
        p.birth_date.isoformat(),
        p.sex,
        p.ethnicity,
        p.religion,
        p.nationality,
        p.place_of_birth,
        p.hometown,
        p.commune_code,
        p.address_detail,
    )


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed wall time in seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with psycopg.connect(database_url("postgres")) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, PostgreSQL {pg}"


@dataclass
class Table:
    """Rows of (measure, value, unit, note) printed as an aligned table."""

    title: str
    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, measure: str, value: str, note: str = "") -> None:
        self.rows.append((measure, value, note))
        print(f"  {measure}: {value}{'  (' + note + ')' if note else ''}", flush=True)

    def render(self) -> str:
        width = max((len(m) for m, _, _ in self.rows), default=10)
        vwidth = max((len(v) for _, v, _ in self.rows), default=5)
        lines = [self.title, "-" * len(self.title)]
        lines += [f"{m:<{width}}  {v:>{vwidth}}  {n}".rstrip() for m, v, n in self.rows]
        return "\n".join(lines)


def goal(value: float, target: float, *, at_least: bool = True) -> str:
    met = value >= target if at_least else value <= target
    sign = ">=" if at_least else "<="
    return f"goal {sign} {target:g}: {'met' if met else 'NOT met'}"
