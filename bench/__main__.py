"""``python -m bench`` (``make bench``): every benchmark, ratios measured side by side.

Needs the PostgreSQL server of ``DANCU_BENCH_DATABASE_URL`` (default: the local one); each
benchmark works in its own throw-away database.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bench import (
    checkin,
    dossiers,
    ekyc,
    linkage_febrl,
    linkage_scale,
    oidc_tokens,
    registry_load,
    registry_lookup,
    registry_search,
)
from bench.common import Table, machine, temp_database

app = typer.Typer(add_completion=False)


@app.command()
def main(
    citizens: Annotated[int, typer.Option(help="registry size")] = 1_000_000,
    rounds: Annotated[int, typer.Option(help="rounds of the load comparison")] = 2,
    only: Annotated[
        str | None,
        typer.Option(
            help="registry_load, registry_lookup, registry_search, oidc_tokens, linkage_febrl, "
            "linkage_scale, ekyc, checkin or dossiers (checkin and dossiers only when named: "
            "a server under load)"
        ),
    ] = None,
    workers: Annotated[int, typer.Option(help="server processes (look-up benchmark)")] = 1,
    against: Annotated[
        str | None,
        typer.Option(
            help="the src directory of an earlier tree: registry_lookup and oidc_tokens run "
            "its server and this tree's side by side, interleaved"
        ),
    ] = None,
    sector_records: Annotated[
        int | None, typer.Option(help="sector records of linkage_scale (default citizens / 5)")
    ] = None,
    jobs_in_process: Annotated[
        bool,
        typer.Option(
            help="registry_lookup: the server runs the job worker (sealer) in process, as "
            "`make run` does, instead of a `dancu worker` beside it (production)"
        ),
    ] = False,
    before_jobs_in_process: Annotated[
        bool,
        typer.Option(
            help="registry_lookup --against: the earlier tree's server runs the jobs in "
            "process (with --against pointing at this tree's src: the two topologies)"
        ),
    ] = False,
) -> None:
    print(f"machine: {machine()}", flush=True)
    tables: list[Table] = []
    demo: tuple[str, float] | None = None
    if only in (None, "registry_lookup"):
        with temp_database("registry") as url:
            print(f"loading {citizens:,} demo citizens ...", flush=True)
            demo = (url, registry_load.load_demo_into(url, citizens))
            if against:
                tables.append(
                    registry_lookup.compare(
                        url,
                        citizens,
                        against,
                        jobs_apart=not jobs_in_process,
                        before_jobs_apart=not before_jobs_in_process,
                    )
                )
            else:
                apart = not jobs_in_process
                tables.append(registry_lookup.main(url, citizens, workers, jobs_apart=apart))
    if only == "registry_search" or (only is None and demo is not None):
        with temp_database("search") as url:
            print(f"loading {citizens:,} demo citizens ...", flush=True)
            loaded = registry_load.load_demo_into(url, citizens)
            tables.append(registry_search.main(url, citizens, loaded))
    if only in (None, "registry_load"):
        tables.append(registry_load.main(citizens, rounds, demo=demo))
    if only in (None, "oidc_tokens"):
        with temp_database("oidc") as url:
            if against:
                tables.append(oidc_tokens.compare(url, against))
            else:
                tables.append(oidc_tokens.main(url, workers))
    if only in (None, "linkage_febrl"):
        tables.append(linkage_febrl.main())
    if only in (None, "linkage_scale"):
        tables.append(linkage_scale.main(citizens, sector_records or citizens // 5))
    if only in (None, "ekyc"):
        tables.append(ekyc.main())
    if only == "checkin":
        with temp_database("checkin") as url:
            print(f"loading {citizens:,} demo citizens ...", flush=True)
            registry_load.load_demo_into(url, citizens)
            tables.append(checkin.main(url, citizens, workers))
    if only == "dossiers":
        with temp_database("dossiers") as url:
            tables.append(dossiers.main(url, workers))
    print()
    for table in tables:
        print(table.render(), end="\n\n")


if __name__ == "__main__":
    app()
