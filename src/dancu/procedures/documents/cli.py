"""``dancu procedures verify FILE``: is this signed result intact, and signed by whom?"""

from __future__ import annotations

from pathlib import Path

import typer

from dancu.procedures.documents.signing import verify_result

app = typer.Typer(help="Signed results of procedures.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Signed results of procedures."""


@app.command()
def verify(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
) -> None:
    """Verify a result PDF's signature against the trusted provincial CAs."""
    outcome = verify_result(file.read_bytes())
    typer.echo(f"signer:    {outcome.signer or '-'}")
    typer.echo(f"agency:    {outcome.agency or '-'}")
    typer.echo(f"intact:    {'yes' if outcome.intact else 'no'}")
    typer.echo(f"trusted:   {'yes' if outcome.trusted else 'no'}")
    signed_at = outcome.signed_at.isoformat() if outcome.signed_at else "-"
    typer.echo(f"signed at: {signed_at}")
    if outcome.valid:
        typer.echo("valid")
        return
    typer.echo(f"not valid: {outcome.code}")
    raise typer.Exit(1)
