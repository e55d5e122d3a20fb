"""``dancu procedures ...``: check the catalogue, declare days off and swaps, escalate,
import the collecting account's bank statement."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from dancu.common.access import Actor, Role
from dancu.common.errors import DancuError
from dancu.db.uow import unit_of_work
from dancu.procedures import catalogue, console, files, workdays
from dancu.procedures.documents.cli import verify as verify_result
from dancu.procedures.npsp.cli import app as npsp_app
from dancu.procedures.payment import review, statements
from dancu.procedures.payment.schemas import ResolveIn
from dancu.settings import get_settings

app = typer.Typer(
    help="Online public services: catalogue, calendar, escalation.", no_args_is_help=True
)
calendar_app = typer.Typer(
    help="Working days: day swaps and a province's days off.", no_args_is_help=True
)
payments_app = typer.Typer(
    help="Fees: the collecting account's bank statements.", no_args_is_help=True
)
app.add_typer(calendar_app, name="calendar")
app.add_typer(payments_app, name="payments")
app.add_typer(npsp_app, name="npsp")  # the national portal's outbound queue
app.command("verify")(verify_result)  # dancu procedures verify FILE: a signed result
out = Console()


@app.command("catalogue")
def check_catalogue() -> None:
    """Load and validate the catalogue; list its procedures."""
    try:
        cat = catalogue.parse(catalogue.DATA.read_text(encoding="utf-8"))
    except DancuError as exc:
        out.print(f"[red]{exc.code}[/red]: {exc.message}", soft_wrap=True)
        raise typer.Exit(1) from exc
    table = Table("code", "level", "online", "days", "fee", "name")
    for p in cat.procedures:
        table.add_row(p.code, p.level, p.online, str(p.days), str(p.fee.amount), p.name)
    out.print(table)
    out.print(f"{len(cat.procedures)} procedures")


@calendar_app.command("add")
def add_day(
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    kind: Annotated[str, typer.Argument(help="off (a day off) or work (a working weekend day)")],
    province: Annotated[str, typer.Option(help="2-digit province code; none: nationwide")] = "",
    note: Annotated[str, typer.Option(help="Why (the announcement)")] = "",
) -> None:
    """Declare a day off or a made-up working day."""
    try:
        when = date.fromisoformat(day)
    except ValueError as exc:
        out.print("[red]procedures.day_invalid[/red]: the day is YYYY-MM-DD")
        raise typer.Exit(1) from exc
    try:
        with unit_of_work() as session:
            workdays.declare_day(session, when, kind, province_code=province, note=note)
    except DancuError as exc:
        out.print(f"[red]{exc.code}[/red]: {exc.message}", soft_wrap=True)
        raise typer.Exit(1) from exc
    out.print(f"{when.isoformat()} {kind} {province or 'nationwide'}")


@calendar_app.command("list")
def list_days(
    province: Annotated[str | None, typer.Option(help="2-digit province; '' nationwide")] = None,
) -> None:
    """The declared days."""
    with unit_of_work() as session:
        rows = workdays.declared_days(session, province)
        for row in rows:
            out.print(f"{row.day.isoformat()} {row.kind} {row.province_code or '-'} {row.note}")


@calendar_app.command("due")
def due(
    start: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    days: Annotated[int, typer.Argument(help="working days")],
    province: Annotated[str, typer.Option()] = "",
) -> None:
    """The day ``days`` working days after ``start``."""
    with unit_of_work() as session:
        calendar = workdays.calendar_for(session, province)
        out.print(calendar.add(date.fromisoformat(start), days).isoformat())


@app.command("escalate")
def escalate() -> None:
    """Escalate every step whose deadline passed (the scheduled job does it hourly)."""
    with unit_of_work() as session:
        count = console.escalate_overdue(session)
    out.print(f"{count} steps escalated")


@app.command("sweep-files")
def sweep_files() -> None:
    """Remove stored files no dossier points to, older than an hour (the scheduled job
    does it hourly): the uploads of submissions killed before their commit."""
    with unit_of_work() as session:
        removed = files.sweep(session)
    out.print(f"stored files removed: {len(removed)}")


@payments_app.command("import-statement")
def import_statement(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a camt.053 file")],
    unit: Annotated[
        str, typer.Option(help="the officer's province or commune (default: the demo's)")
    ] = "",
    by: Annotated[str, typer.Option(help="the acting finance officer's name")] = "finance",
) -> None:
    """Match the statement's transfers to dossiers' fees; list those left for review."""
    actor = _finance_officer(unit, by)
    try:
        with unit_of_work() as session:
            result = statements.import_statement(session, file.read_bytes(), actor=actor)
    except DancuError as exc:
        out.print(f"[red]{exc.code}[/red]: {exc.message}", soft_wrap=True)
        raise typer.Exit(1) from exc
    table = Table("id", "line", "reference", "amount", "dossier", "outcome")
    for e in [*result.matched, *result.problems]:
        table.add_row(
            str(e.id or "-"),
            str(e.line),
            e.reference or "-",
            str(e.amount),
            e.dossier_code or "-",
            e.outcome,
        )
    out.print(table)
    out.print(
        f"{len(result.matched)} of {result.entries} entries matched, "
        f"{len(result.problems)} reported"
    )


def _finance_officer(unit: str, by: str) -> Actor:
    return Actor(
        id=f"cli:{by}",
        name=by,
        roles=frozenset({Role.FINANCE_OFFICER}),
        units=(unit or get_settings().demo_province,),
        organization="dancu CLI",
    )


@payments_app.command("resolve")
def resolve_entry(
    entry: Annotated[int, typer.Argument(help="the transfer's id (as the review list shows)")],
    decision: Annotated[str, typer.Option(help="apply, refund or ignore")],
    reason: Annotated[str, typer.Option(help="why (required)")],
    dossier: Annotated[str, typer.Option(help="the dossier code to apply it to")] = "",
    refund_reference: Annotated[str, typer.Option(help="the bank's refund reference")] = "",
    unit: Annotated[
        str, typer.Option(help="the officer's province or commune (default: the demo's)")
    ] = "",
    by: Annotated[str, typer.Option(help="the acting finance officer's name")] = "finance",
) -> None:
    """Settle a transfer under review, once: apply it to a dossier, refund it, or ignore it."""
    actor = _finance_officer(unit, by)
    try:
        taken = ResolveIn.model_validate(
            {
                "decision": decision,
                "reason": reason,
                "dossier_code": dossier or None,
                "refund_reference": refund_reference or None,
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        out.print(f"[red]{first['loc'][0]}[/red]: {first['msg']}", soft_wrap=True)
        raise typer.Exit(1) from exc
    try:
        with unit_of_work() as session:
            done = review.resolve(session, entry, taken, actor=actor)
    except DancuError as exc:
        out.print(f"[red]{exc.code}[/red]: {exc.message}", soft_wrap=True)
        raise typer.Exit(1) from exc
    out.print(f"transfer {done.id}: {done.decision} ({done.applied_to or '-'}) by {by}")
