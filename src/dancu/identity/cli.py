"""``dancu identity ...``: officers, statistics, history retention, dev TOTP codes."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dancu.common.access import SYSTEM_ACTOR, Role
from dancu.common.errors import DancuError
from dancu.db import utcnow
from dancu.db.uow import unit_of_work
from dancu.identity.accounts import history, officers, statistics
from dancu.identity.accounts import repository as repo
from dancu.identity.accounts.models import Account
from dancu.identity.auth import throttle, totp
from dancu.settings import get_settings

app = typer.Typer(help="Electronic identity: accounts and officers.", no_args_is_help=True)
officer_app = typer.Typer(help="Officer roles of citizen accounts.", no_args_is_help=True)
app.add_typer(officer_app, name="officer")
console = Console()


def _account(session, pid: str) -> Account:  # type: ignore[no-untyped-def]
    account = repo.account_by_pid(session, pid)
    if account is None:
        console.print(f"[red]no account for {pid}[/red]")
        raise typer.Exit(1)
    return account


@officer_app.command("add")
def officer_add(
    pid: str,
    role: Annotated[Role, typer.Option(help="the role to grant")],
    unit: Annotated[str, typer.Option(help="province (2) or commune (5) code; '' nationwide")],
    organization: Annotated[str, typer.Option(help="the officer's organization")] = "",
) -> None:
    """Grant ROLE over UNIT to the active account of citizen PID (audited)."""
    try:
        with unit_of_work() as session:
            grant = officers.grant_role(
                session,
                _account(session, pid),
                role,
                unit,
                organization=organization,
                actor=SYSTEM_ACTOR,
            )
            grant_id = grant.id
    except DancuError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(1) from exc
    console.print(f"granted {role.value} over {unit or 'the whole country'} (grant {grant_id})")


@officer_app.command("revoke")
def officer_revoke(grant_id: int) -> None:
    """Revoke one grant (see ``officer list``)."""
    try:
        with unit_of_work() as session:
            officers.revoke_role(session, grant_id, actor=SYSTEM_ACTOR)
    except DancuError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(1) from exc
    console.print(f"grant {grant_id} revoked")


@officer_app.command("list")
def officer_list(pid: str) -> None:
    """The live roles of citizen PID's account."""
    with unit_of_work() as session:
        grants = officers.roles_of(session, _account(session, pid).id)
    for g in grants:
        typer.echo(f"{g.id}\t{g.role}\t{g.unit_code or '*'}\t{g.organization}")


@app.command("stats")
def stats(
    province: Annotated[str | None, typer.Option(help="only this province")] = None,
    by: Annotated[str, typer.Option(help="commune or province")] = "commune",
) -> None:
    """Accounts registered and live at each level, per commune or province."""
    with unit_of_work() as session:
        rows = statistics.accounts_by_area(session, by=by, province_code=province)  # type: ignore[arg-type]
    table = Table("province", "commune", "registered", "level 1", "level 2", "children", "closed")
    for r in rows:
        table.add_row(
            r.province_code,
            r.commune_code or "",
            *(str(v) for v in (r.registered, r.level1, r.level2, r.dependants, r.closed)),
        )
    console.print(table)


@app.command("purge-history")
def purge_history() -> None:
    """Delete account history older than the retention period (five years by default)."""
    with unit_of_work() as session:
        count = history.purge_history(session)
        keys = throttle.purge(session, before=utcnow() - timedelta(days=1))
    console.print(f"{count:,} history entries purged; {keys:,} idle sign-in counters dropped")


@app.command("totp-code")
def totp_code(pid: str) -> None:
    """Development only: the authenticator code a demo account would show now."""
    settings = get_settings()
    if settings.env == "production" or not settings.dev_login:
        console.print("[red]only in development (DANCU_DEV_LOGIN=true)[/red]")
        raise typer.Exit(2)
    with unit_of_work() as session:
        account = _account(session, pid)
        if not totp.enabled(account):
            console.print("[red]no authenticator app enrolled for this account[/red]")
            raise typer.Exit(1)
        typer.echo(totp.current_code(account))
