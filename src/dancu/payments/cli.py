"""``dancu payments ...``: programmes, list imports, cycles, bank files and reconciliation.

An officer's action names the officer (``--officer``): maker-checker holds on the command
line too, so the cycle's approver must be another name than its preparer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dancu.common.access import Actor, Role
from dancu.common.errors import DancuError
from dancu.db.uow import unit_of_work
from dancu.payments import (
    cycles,
    disbursement,
    figures,
    imports,
    iso20022,
    programmes,
    reconcile,
    repository,
)
from dancu.payments.simulated import BankNetwork
from dancu.settings import get_settings

app = typer.Typer(
    help="Social payments: programmes, beneficiaries, cycles, bank files.", no_args_is_help=True
)
console = Console()
Officer = Annotated[str, typer.Option(help="the acting officer's name (maker-checker)")]
Province = Annotated[str | None, typer.Option(help="province code (default: the demo's)")]


def officer(name: str, province: str) -> Actor:
    return Actor(
        id=f"cli:{name}",
        name=name,
        roles=frozenset({Role.SOCIAL_APPROVER}),
        units=(province,),
        organization="dancu CLI",
    )


@contextmanager
def bar(label: str) -> Iterator[callable]:  # type: ignore[valid-type]
    with Progress(
        TextColumn(f"[bold]{label}"),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=None)

        def update(step: str, done: int, total: int) -> None:
            progress.update(task, description=step, completed=done, total=total or None)

        yield update


def _fail(exc: DancuError) -> typer.Exit:
    console.print(f"[red]{exc.code}[/red]: {exc.message}")
    return typer.Exit(1)


@app.command("programmes")
def programmes_command() -> None:
    """Write the programmes, categories and dated levels (idempotent) and list them."""
    with unit_of_work() as session:
        programmes.ensure_programmes(session)
        table = Table("programme", "category", "coefficient", "amount now (VND)")
        today = date.today().replace(day=1)
        for p in repository.programmes(session):
            level = programmes.level_on(session, p.id, today)
            for c in repository.categories(session, p.id):
                table.add_row(
                    p.code,
                    c.code,
                    f"{c.coefficient / 1000:g}",
                    f"{programmes.amount_for(level, c.coefficient):,}",
                )
    console.print(table)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    programme: Annotated[str, typer.Option()] = programmes.SOCIAL,
    province: Province = None,
    by: Officer = "cli-officer",
) -> None:
    """Import a social-affairs list (CSV/XLSX), link it to citizens, propose enrolments."""
    code = province or get_settings().demo_province
    try:
        with bar("Linking the list"), unit_of_work() as session:
            out = imports.import_list(
                session,
                file.read_bytes(),
                file_name=file.name,
                programme_code=programme,
                province_code=code,
                actor=officer(by, code),
                directory=BankNetwork(),
            )
    except DancuError as exc:
        raise _fail(exc) from None
    console.print(
        f"{out.lines:,} lines, [green]{out.proposed:,} proposed[/green],"
        f" {len(out.problems):,} reported"
    )
    for p in out.problems[:50]:
        typer.echo(f"  line {p.line}: {p.code} {p.detail}")


@app.command("prepare")
def prepare_command(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    programme: Annotated[str, typer.Option()] = programmes.SOCIAL,
    province: Province = None,
    by: Officer = "preparer",
) -> None:
    """Re-check the beneficiaries against the registry and build the month's payments."""
    code = province or get_settings().demo_province
    first = date.fromisoformat(f"{month}-01")
    try:
        with bar("Preparing the cycle") as progress, unit_of_work() as session:
            out = cycles.prepare_cycle(
                session, programme, code, first, actor=officer(by, code), progress=progress
            )
    except DancuError as exc:
        raise _fail(exc) from None
    console.print(
        f"cycle {out.id}: {out.count:,} payments, {out.amount:,} VND,"
        f" {len(out.exclusions)} left out"
    )


@app.command("approve")
def approve_command(cycle_id: int, province: Province = None, by: Officer = "approver") -> None:
    """Approve a prepared cycle (another officer than its preparer)."""
    code = province or get_settings().demo_province
    try:
        with unit_of_work() as session:
            out = cycles.approve_cycle(session, cycle_id, actor=officer(by, code))
    except DancuError as exc:
        raise _fail(exc) from None
    console.print(f"cycle {out.id} approved by {by}: {out.count:,} payments, {out.amount:,} VND")


@app.command("files")
def files_command(
    cycle_id: int,
    out: Annotated[Path, typer.Option(file_okay=False)] = Path("."),
    province: Province = None,
    by: Officer = "preparer",
) -> None:
    """Write the cycle's pain.001 files (one per bank) and its postal list."""
    code = province or get_settings().demo_province
    out.mkdir(parents=True, exist_ok=True)
    actor = officer(by, code)
    try:
        with unit_of_work() as session:
            made = disbursement.bank_files(session, cycle_id, actor=actor)
            postal, _ = disbursement.postal_list(session, cycle_id, actor=actor)
            contents = [
                (f, disbursement.file_content(session, f.id, actor=actor)[1])
                for f in [*made, postal]
            ]
    except DancuError as exc:
        raise _fail(exc) from None
    for f, content in contents:
        path = out / f"{f.message_id}.{'csv' if f.kind == 'postal' else 'xml'}"
        path.write_text(content, encoding="utf-8")
        console.print(f"{f.kind} {f.bank_code or ''}: {f.lines:,} lines -> {path}")


@app.command("reconcile")
def reconcile_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    province: Province = None,
    by: Officer = "preparer",
) -> None:
    """Import a pain.002 status report or a camt.054 notification, line by line."""
    code = province or get_settings().demo_province
    data = file.read_bytes()
    importer = (
        reconcile.import_notification
        if b"camt.054" in data[:400]
        else reconcile.import_status_report
    )
    try:
        with unit_of_work() as session:
            result = importer(session, data, actor=officer(by, code))
    except DancuError as exc:
        raise _fail(exc) from None
    console.print(
        f"{result.file.kind}: {result.matched:,} lines reconciled, {len(result.problems)} reported"
    )
    for p in result.problems:
        typer.echo(f"  line {p.line}: {p.code} {p.detail}")


@app.command("simulate-bank")
def simulate_bank_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option(file_okay=False)] = Path("."),
) -> None:
    """Development: let the simulated bank pay a pain.001 file (writes pain.002 and camt.054)."""
    try:
        report, notice = BankNetwork().execute(file.read_bytes(), booked_on=date.today())
    except DancuError as exc:
        raise _fail(exc) from None
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{file.stem}.{iso20022.PAIN_002}.xml").write_bytes(report)
    (out / f"{file.stem}.{iso20022.CAMT_054}.xml").write_bytes(notice)
    console.print(f"bank answers written to {out}")


@app.command("figures")
def figures_command(month: Annotated[str | None, typer.Option(help="YYYY-MM")] = None) -> None:
    """Per programme, commune and month: beneficiaries, amounts, cashless share, failures."""
    from_month = date.fromisoformat(f"{month}-01") if month else None
    system = Actor(id="system:cli", name="dancu CLI", roles=frozenset({Role.SYSTEM}))
    with unit_of_work() as session:
        rows = figures.figures(session, actor=system, month=from_month)
    table = Table(
        "month",
        "programme",
        "commune",
        "beneficiaries",
        "amount",
        "cashless",
        "failed",
        "to recover",
    )
    for r in rows:
        share = f"{r.cashless_share:.1%}" if r.cashless_share is not None else "-"
        table.add_row(
            f"{r.month:%Y-%m}",
            r.programme,
            r.commune_code,
            f"{r.beneficiaries:,}",
            f"{r.amount:,}",
            share,
            str(r.failed),
            str(r.flagged),
        )
    console.print(table)
