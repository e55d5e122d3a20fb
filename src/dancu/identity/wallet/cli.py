"""``dancu identity wallet ...``: operations on the wallet's credentials."""

from __future__ import annotations

import typer
from rich.console import Console

from dancu.db.uow import unit_of_work
from dancu.identity.wallet import service as wallet

app = typer.Typer(help="Wallet documents (SD-JWT VC).", no_args_is_help=True)
console = Console()


@app.command("reissue")
def reissue() -> None:
    """Re-sign live credentials with the current wallet key (run after a key rotation)."""
    with unit_of_work() as session:
        count = wallet.reissue_after_rotation(session, actor=wallet.WALLET_ISSUER_ACTOR)
    console.print(f"{count} credentials re-signed with the current wallet key")


@app.command("metadata")
def metadata() -> None:
    """Print the issuer metadata published at /.well-known/jwt-vc-issuer."""
    with unit_of_work() as session:
        console.print_json(data=wallet.issuer_metadata(session))
