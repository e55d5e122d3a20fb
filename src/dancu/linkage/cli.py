"""``dancu linkage ...``: import a sector dataset, run the linkage, report the sync rates."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dancu.common.access import SYSTEM_ACTOR
from dancu.common.errors import DancuError
from dancu.db import get_sessionmaker
from dancu.db.uow import unit_of_work
from dancu.linkage import repository as repo
from dancu.linkage import runs, service
from dancu.linkage.schemas import OUTCOME_ORDER, ImportOut, JobOut, RateRow
from dancu.settings import get_settings

app = typer.Typer(help="Sector data: import, match to the registry, report.", no_args_is_help=True)
console = Console()


def _bar(label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _fail(exc: DancuError) -> typer.Exit:
    console.print(f"[red]{exc.code}[/red]: {exc.message}", soft_wrap=True)
    return typer.Exit(2)


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV, XLSX or Parquet")],
    source_type: Annotated[str, typer.Option("--type", help="land, social_insurance, ...")],
    mapping: Annotated[
        str | None, typer.Option(help='field -> column as JSON, e.g. {"full_name": "HoTen"}')
    ] = None,
    name: Annotated[str | None, typer.Option(help="the dataset's name")] = None,
    province: Annotated[str | None, typer.Option(help="province code (default: demo)")] = None,
) -> None:
    """Import a sector dataset; every problem is reported by line and reason."""
    try:
        parsed = json.loads(mapping) if mapping else None
    except json.JSONDecodeError as exc:
        console.print(f"[red]linkage.mapping_json[/red]: --mapping is not JSON ({exc})")
        raise typer.Exit(2) from exc
    if parsed is not None and not isinstance(parsed, dict):
        console.print("[red]linkage.mapping_json[/red]: --mapping must be a JSON object")
        raise typer.Exit(2)
    try:
        with _bar("Importing") as bar, unit_of_work() as session:
            task = bar.add_task("read", total=None)
            out = service.import_dataset(
                session,
                file,
                file_name=file.name,
                source_type=source_type,
                province_code=province or get_settings().demo_province,
                actor=SYSTEM_ACTOR,
                name=name,
                mapping=parsed,
                progress=lambda step, done, total: bar.update(
                    task, description=step, completed=done, total=total or None
                ),
            )
    except DancuError as exc:
        raise _fail(exc) from exc
    _print_import(out)


def _print_import(out: ImportOut) -> None:
    s = out.source
    console.print(
        f"dataset [bold]{s.id}[/bold] ({s.name}, {s.encoding}): {s.lines:,} lines, "
        f"[green]{s.records:,} records[/green], [red]{s.problem_lines:,} rejected[/red]"
    )
    for p in out.problems[:20]:
        kept = "rejected" if p.rejected else "kept"
        console.print(f"  line {p.line}: {p.field or '-'}: {p.code} ({kept}) {p.value or ''}")
    console.print(f"next: dancu linkage run {s.id}")


@app.command("run")
def run(source_id: Annotated[int, typer.Argument(help="the dataset's id")]) -> None:
    """Match a dataset to the registry now, in the foreground (a run waiting in the queue
    is taken; an interrupted one is resumed later by a worker, see ``dancu worker``)."""
    factory = get_sessionmaker()
    try:
        with unit_of_work(factory) as session:
            active = repo.active_job(session, source_id)
            if active is not None and active.status == "queued":
                job_id = active.id
            else:
                job_id = runs.create_run(session, source_id, actor=SYSTEM_ACTOR).id
        stages = _Stages()
        with _bar("Linking") as bar:
            task = bar.add_task("queued", total=None)

            def progress(step: str, done: int, total: int) -> None:
                stages.reached(step)
                bar.update(task, description=step, completed=done, total=total or None)

            job = runs.run_job(factory, job_id, progress=progress)
        stages.reached("done")
    except DancuError as exc:
        raise _fail(exc) from exc
    _print_job(job)
    if job.status != "done":
        console.print(f"stages: {stages}", soft_wrap=True)
        raise typer.Exit(1)
    report(source_id)
    stages.reached("report")
    console.print(f"stages: {stages}", soft_wrap=True)


class _Stages:
    """Wall time of each stage of a run. Every progress report marks the end of some work
    of the stage it names (the read, an engine step, a chunk stored), so the time since the
    previous report is that stage's; what follows the last report is the finalize step."""

    def __init__(self) -> None:
        self.start = self.mark = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def reached(self, step: str) -> None:
        now = time.perf_counter()
        name = {"done": "finalize"}.get(step, step.removeprefix("match:"))
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self.mark
        self.mark = now

    def __str__(self) -> str:
        total = time.perf_counter() - self.start
        parts = [f"{k} {v:.1f} s" for k, v in self.seconds.items()]
        return ", ".join(parts) + f"; total {total:.1f} s"


def _print_job(job: JobOut) -> None:
    colour = "green" if job.status == "done" else "red"
    console.print(
        f"run {job.id}: [{colour}]{job.status}[/{colour}], {job.done:,}/{job.total:,}"
        + (f" ({job.error})" if job.error else ""),
        soft_wrap=True,
    )


# ``imports.UPLOAD_GRACE`` (a test checks they agree): the import module and its job queue
# are loaded only by the commands that use them, not by ``dancu linkage run``.
_UPLOAD_GRACE_HOURS = 6.0


@app.command("clean-uploads")
def clean_uploads(
    grace_hours: Annotated[
        float, typer.Option(help="leave files younger than this (they may still be written)")
    ] = _UPLOAD_GRACE_HOURS,
) -> None:
    """Remove uploaded files that no queued or running import needs (the worker does this
    hourly with the default grace)."""
    from dancu.linkage import imports, tasks

    removed = tasks.clean_orphan_uploads(get_sessionmaker(), grace=timedelta(hours=grace_hours))
    for path in removed:
        console.print(f"removed {path}", soft_wrap=True)
    console.print(f"{len(removed)} orphan upload(s) removed from {imports.upload_dir()}")


@app.command("report")
def report(
    source_id: Annotated[int | None, typer.Argument(help="a dataset (default: all)")] = None,
    problems: Annotated[
        Path | None,
        typer.Option(
            "--problems",
            dir_okay=False,
            writable=True,
            help="write the dataset's import problems to this CSV file (UTF-8, Excel)",
        ),
    ] = None,
) -> None:
    """Sync rates per dataset, and per commune for one dataset; ``--problems FILE`` also
    writes the dataset's import problems by line, to send back to the agency."""
    if problems is not None:
        if source_id is None:
            console.print("[red]linkage.source_required[/red]: --problems needs a dataset id")
            raise typer.Exit(2)
        _write_problems(source_id, problems)
    try:
        with unit_of_work() as session:
            rows = service.sync_rates(session, actor=SYSTEM_ACTOR, source_id=source_id)
            if source_id is not None and not rows:
                service.get_source(session, source_id, actor=SYSTEM_ACTOR)
    except DancuError as exc:
        raise _fail(exc) from exc
    wanted = rows if source_id is not None else [r for r in rows if r.level == "dataset"]
    console.print(_rates_table(wanted, by_commune=source_id is not None))


def _write_problems(source_id: int, path: Path) -> None:
    from dancu.linkage import api, exports  # the web layer's texts, only for this command

    try:
        with unit_of_work() as session:
            header, rows = exports.problem_rows(
                session, source_id, actor=SYSTEM_ACTOR, reason=api.vietnamese_reason
            )
            path.write_bytes(exports.to_csv(header, rows))  # no audit entry without the file
    except DancuError as exc:
        raise _fail(exc) from exc
    except OSError as exc:
        console.print(f"[red]linkage.file[/red]: cannot write {path}: {exc.strerror}")
        raise typer.Exit(2) from exc
    console.print(f"{len(rows):,} problems of dataset {source_id} written to {path}")


_SHORT = {
    "synced": "synced",
    "synced_with_differences": "differ",
    "probable_match": "review",
    "not_found": "absent",
    "duplicate_in_source": "dup",
    "not_in_province": "outside",
}


def _rates_table(rows: list[RateRow], *, by_commune: bool) -> Table:
    table = Table(title="Sync rates" + (" per commune" if by_commune else ""))
    table.add_column("dataset" if not by_commune else "commune", no_wrap=True)
    table.add_column("records", justify="right")
    for outcome in OUTCOME_ORDER:
        table.add_column(_SHORT[outcome], justify="right")
    table.add_column("rate", justify="right", no_wrap=True)
    for r in rows:
        label = (
            f"{r.source_id} {r.source_name}"
            if r.level == "dataset"
            else (r.commune_name or r.commune_code or "(unknown commune)")
        )
        style = "bold" if r.level == "dataset" else None
        table.add_row(
            label,
            f"{r.records:,}",
            *(f"{r.counts.get(o, 0):,}" for o in OUTCOME_ORDER),
            f"{100 * r.rate:.1f}%",
            style=style,
        )
    return table
