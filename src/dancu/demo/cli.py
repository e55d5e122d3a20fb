"""``dancu demo``: seed the synthetic province."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dancu.common import adminunits
from dancu.common.access import Actor, Role
from dancu.db import unit_of_work
from dancu.demo.load import load_demo, registry_is_empty
from dancu.settings import get_settings

console = Console()
DEMO_ACTOR = Actor(id="system:demo", name="Demo generator", roles=frozenset({Role.SYSTEM}),
                   organization="dancu demo")  # fmt: skip


def demo_command(
    citizens: Annotated[int | None, typer.Option(help="how many citizens")] = None,
    province: Annotated[str | None, typer.Option(help="current province code, e.g. 66")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed (same seed, same people)")] = None,
    if_empty: Annotated[bool, typer.Option(help="do nothing when citizens exist")] = False,
) -> None:
    """Seed a synthetic province: households, citizens, ID cards, some deaths and marriages."""
    settings = get_settings()
    citizens = citizens if citizens is not None else settings.demo_citizens
    code = province or settings.demo_province
    unit = adminunits.province(code)
    with unit_of_work() as session:
        if not registry_is_empty(session):
            if if_empty:
                console.print("registry already seeded; nothing to do")
                return
            console.print("[red]the registry is not empty[/red]: use a fresh database")
            raise typer.Exit(2)
        with Progress(
            TextColumn(f"[bold]Seeding {unit.name}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console, transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("demo", total=citizens)
            written = load_demo(
                session, actor=DEMO_ACTOR, province_code=code, citizens=citizens,
                seed=seed if seed is not None else settings.demo_seed, today=date.today(),
                progress=lambda n: bar.update(task, completed=n),
            )  # fmt: skip
    console.print(f"[green]{written:,} citizens[/green] of {unit.name} seeded")
