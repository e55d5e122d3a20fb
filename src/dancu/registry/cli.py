"""``dancu registry ...`` commands."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dancu.common.access import SYSTEM_ACTOR
from dancu.common.errors import DancuError
from dancu.db.uow import unit_of_work
from dancu.registry.importer import ImportReport, import_citizens

app = typer.Typer(help="The population registry.", no_args_is_help=True)
console = Console()


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet")],
    errors_out: Annotated[
        Path | None, typer.Option("--errors", help="Write rejected rows' reasons to this CSV")
    ] = None,
) -> None:
    """Import citizens; invalid rows are reported with line and reason, valid rows kept."""
    try:
        with (
            Progress(
                TextColumn("[bold]Importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar,
            unit_of_work() as session,
        ):
            task = bar.add_task("import", total=None)
            report = import_citizens(
                session,
                file,
                actor=SYSTEM_ACTOR,
                progress=lambda n: bar.update(task, completed=n),
            )
    except DancuError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from exc
    _print_report(report, errors_out)


def _print_report(report: ImportReport, errors_out: Path | None) -> None:
    console.print(
        f"read {report.read:,} rows: [green]{report.imported:,} imported[/green], "
        f"[red]{report.rejected:,} rejected[/red]"
    )
    for err in report.errors[:20]:
        console.print(f"  line {err.line}: {err.field or '-'}: {err.code}: {err.message}")
    if report.rejected > 20:
        console.print(f"  ... and {report.rejected - 20:,} more")
    if errors_out:
        with errors_out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", "field", "code", "message"])
            writer.writerows((e.line, e.field or "", e.code, e.message) for e in report.errors)
        console.print(f"rejected rows written to {errors_out}", soft_wrap=True)
