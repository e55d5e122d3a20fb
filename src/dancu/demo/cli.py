"""``dancu demo``: seed the synthetic province."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dancu.common import adminunits
from dancu.common.access import Actor, Role
from dancu.db import get_sessionmaker
from dancu.db.uow import unit_of_work
from dancu.demo import rp_pages
from dancu.demo.accounts import DEMO_PASSWORD, create_demo_accounts
from dancu.demo.exchange import seed_exchange_demo
from dancu.demo.load import load_demo, registry_is_empty
from dancu.demo.sector import seed_sector_demo
from dancu.payments.seed import seed_payments
from dancu.procedures.demo import seed_procedures_demo
from dancu.settings import get_settings

console = Console()
DEMO_ACTOR = Actor(
    id="system:demo",
    name="Trình tạo dữ liệu mẫu",  # shown on Vietnamese pages (who imported, who ran)
    roles=frozenset({Role.SYSTEM}),
    organization="dancu demo",
)


def demo_command(
    citizens: Annotated[int | None, typer.Option(help="how many citizens")] = None,
    province: Annotated[str | None, typer.Option(help="current province code, e.g. 66")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed (same seed, same people)")] = None,
    if_empty: Annotated[bool, typer.Option(help="do nothing when citizens exist")] = False,
    accounts_only: Annotated[
        bool, typer.Option(help="only add the demo e-ID accounts to a seeded registry")
    ] = False,
    sector: Annotated[bool, typer.Option(help="also a land register and a BHXH list")] = True,
    dossiers: Annotated[
        int | None,
        typer.Option(
            help="dossiers of public services across their states (default: one a citizen; 0: none)"
        ),
    ] = None,
    payments: Annotated[
        bool, typer.Option(help="also two payment programmes and three paid cycles")
    ] = True,
) -> None:
    """Seed a synthetic province: households, citizens, ID cards, some deaths and marriages."""
    settings = get_settings()
    citizens = citizens if citizens is not None else settings.demo_citizens
    code = province or settings.demo_province
    unit = adminunits.province(code)
    if accounts_only:
        _demo_accounts(code)
        return
    with unit_of_work() as session:
        if not registry_is_empty(session):
            if if_empty:
                console.print("registry already seeded; nothing to do")
                return
            console.print("[red]the registry is not empty[/red]: use a fresh database")
            raise typer.Exit(2)
        with _progress(f"Seeding {unit.name}", counted=True) as bar:
            task = bar.add_task("demo", total=citizens)
            written = load_demo(
                session,
                actor=DEMO_ACTOR,
                province_code=code,
                citizens=citizens,
                seed=seed if seed is not None else settings.demo_seed,
                today=date.today(),
                progress=lambda n: bar.update(task, completed=n),
            )
    console.print(f"[green]{written:,} citizens[/green] of {unit.name} seeded")
    _demo_accounts(code)
    if sector:
        _seed_sector(code, seed if seed is not None else settings.demo_seed)
    dossiers = citizens if dossiers is None else dossiers
    if dossiers:
        _seed_procedures(code, seed if seed is not None else settings.demo_seed, dossiers)
    _seed_exchange(code, seed if seed is not None else settings.demo_seed)
    if payments:
        _seed_payments(code, seed if seed is not None else settings.demo_seed)


def _demo_accounts(province_code: str) -> None:
    """Create the demo e-ID accounts and print how to sign in with them."""
    settings = get_settings()
    with unit_of_work() as session:
        made = create_demo_accounts(session, actor=DEMO_ACTOR, province_code=province_code)
        rp_pages.register_client(session, settings.host, settings.port)
    console.print(f"[green]{len(made)} demo e-ID accounts[/green] (ID number, level, who):")
    for a in made:
        roles = f" [{', '.join(a.roles)}]" if a.roles else ""
        typer.echo(f"  {a.pid}  level {a.level}  {a.name} ({a.label}){roles}  {a.phone}")
    console.print(
        f"password of every demo account: [bold]{DEMO_PASSWORD}[/bold]; SMS codes appear on"
        " /dev/messages; level-2 accounts have an authenticator app: `dancu identity"
        " totp-code <ID number>` prints its code (development only)"
    )


def _seed_procedures(province_code: str, seed: int, dossiers: int) -> None:
    """The one-stop shops' dossiers across their states (``procedures/demo.py``)."""
    with unit_of_work() as session:
        written = seed_procedures_demo(
            session, province_code, seed, actor=DEMO_ACTOR, dossiers=dossiers, today=date.today()
        )
    console.print(f"[green]{written:,} dossiers[/green] of public services seeded")


def _seed_sector(province_code: str, seed: int) -> None:
    """The demo sector datasets, imported and synchronized (see ``demo/sector.py``)."""
    with _progress("Synchronizing sector data", step=True) as bar:
        task = bar.add_task("", total=None)
        jobs = seed_sector_demo(
            get_sessionmaker(),
            actor=DEMO_ACTOR,
            province_code=province_code,
            seed=seed,
            today=date.today(),
            progress=lambda step, done, total: bar.update(task, description=step),
        )
    for job in jobs:
        console.print(
            f"sector dataset {job.source_id}: {job.done:,} records synchronized ({job.status})"
        )


def _seed_exchange(province_code: str, seed: int) -> None:
    """The demo hospital, bank and insurer, a kiosk, insurance cards (``demo/exchange.py``)."""
    with unit_of_work() as session:
        made, enrolment, metrics = seed_exchange_demo(
            session, actor=DEMO_ACTOR, province_code=province_code, seed=seed, today=date.today()
        )
    console.print("[green]exchange partners[/green] (client id, secret shown once):")
    for c in made:
        typer.echo(f"  {c.partner}: {c.client_id}  {c.secret}")
    console.print(
        f"kiosk enrolment code (open /kiosk): [bold]{enrolment}[/bold]; insurance cards"
        f" linked: {metrics.get('linked', 0):,} of {metrics.get('records', 0):,}"
    )


def _seed_payments(province_code: str, seed: int) -> None:
    """Two payment programmes and three paid monthly cycles (see ``payments/seed.py``)."""
    with _progress("Paying social assistance", step=True, counted=True) as bar:
        task = bar.add_task("", total=None)
        out = seed_payments(
            get_sessionmaker(),
            province_code=province_code,
            today=date.today(),
            seed=seed,
            progress=lambda step, done, total: bar.update(
                task, description=step, completed=done, total=total
            ),
        )
    console.print(
        f"social payments: {out.beneficiaries} beneficiaries, {out.cycles} cycles,"
        f" {out.paid} payments made, {out.flagged} flagged for recovery after a death"
    )


def _progress(title: str, *, step: bool = False, counted: bool = False) -> Progress:
    """A transient progress bar: the title, the current step's name, the bar, how many of
    how many are done, the time taken."""
    return Progress(
        TextColumn(f"[bold]{title}"),
        *([TextColumn("{task.description}")] if step else []),
        BarColumn(),
        *([MofNCompleteColumn()] if counted else []),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
