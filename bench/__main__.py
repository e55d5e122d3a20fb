"""``python -m bench`` (``make bench``): every benchmark, ratios measured side by side.

Needs the PostgreSQL server of ``DANCU_BENCH_DATABASE_URL`` (default: the local one); each
benchmark works in its own throw-away database.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bench import registry_load, registry_lookup
from bench.common import Table, machine, temp_database

app = typer.Typer(add_completion=False)


@app.command()
def main(
    citizens: Annotated[int, typer.Option(help="registry size")] = 1_000_000,
    rounds: Annotated[int, typer.Option(help="rounds of the load comparison")] = 2,
    only: Annotated[str | None, typer.Option(help="registry_load or registry_lookup")] = None,
    workers: Annotated[int, typer.Option(help="server processes (look-up benchmark)")] = 1,
) -> None:
    print(f"machine: {machine()}", flush=True)
    tables: list[Table] = []
    demo: tuple[str, float] | None = None
    if only in (None, "registry_lookup"):
        with temp_database("registry") as url:
            print(f"loading {citizens:,} demo citizens ...", flush=True)
            demo = (url, registry_load.load_demo_into(url, citizens))
            tables.append(registry_lookup.main(url, citizens, workers))
    if only in (None, "registry_load"):
        tables.append(registry_load.main(citizens, rounds, demo=demo))
    print()
    for table in tables:
        print(table.render(), end="\n\n")


if __name__ == "__main__":
    app()
