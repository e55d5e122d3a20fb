"""``dancu procedures npsp ...``: deliver the queued status changes now, or list them."""

from __future__ import annotations

import typer

from dancu.db import get_sessionmaker
from dancu.procedures.npsp import outbound, tasks

app = typer.Typer(
    help="The National Public Service Portal: status changes waiting to be published.",
    no_args_is_help=True,
)


@app.command()
def deliver() -> None:
    """Send the status changes that are due to the portal (as the scheduled job does)."""
    sent = outbound.deliver_pending(get_sessionmaker(), tasks.publisher())
    typer.echo(f"{sent} delivered")


@app.command()
def status() -> None:
    """The changes not delivered yet: key, attempts, next attempt, last error."""
    with get_sessionmaker()() as session:
        rows = outbound.waiting(session)
    for row in rows:
        typer.echo(
            f"{row.event_key}\t{row.attempts}\t{row.next_attempt_at:%Y-%m-%d %H:%M:%S}\t"
            f"{row.last_error or ''}"
        )
    typer.echo(f"{len(rows)} waiting")
