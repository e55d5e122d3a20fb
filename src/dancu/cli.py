"""The ``dancu`` command: serve, worker, demo, db, audit, outbox, and each domain's commands."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dancu.common import audit_archive, audit_chain, audit_partitions, jobs, outbox
from dancu.common import tasks as common_tasks  # noqa: F401 (declares the kernel's jobs)
from dancu.common.access import Actor, Role
from dancu.db import get_sessionmaker
from dancu.demo.cli import demo_command
from dancu.exchange import tasks as exchange_tasks
from dancu.exchange.cleaning import tasks as cleaning_tasks
from dancu.exchange.cli import app as exchange_app
from dancu.identity import tasks as identity_tasks
from dancu.identity.cli import app as identity_app
from dancu.identity.oidc.cli import app as oidc_client_app
from dancu.identity.wallet.cli import app as wallet_app
from dancu.linkage import tasks as linkage_tasks
from dancu.linkage.cli import app as linkage_app
from dancu.payments import tasks as payments_tasks
from dancu.payments.cli import app as payments_app
from dancu.procedures import tasks as procedures_tasks
from dancu.procedures.cli import app as procedures_app
from dancu.registry.cli import app as registry_app
from dancu.settings import get_settings
from dancu.web.auth import issue_token

app = typer.Typer(
    help="dancu: population registry and e-identity (Project 06).", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
outbox_app = typer.Typer(help="The event outbox.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(outbox_app, name="outbox")
app.add_typer(registry_app, name="registry")
app.add_typer(identity_app, name="identity")
identity_app.add_typer(oidc_client_app, name="client")
identity_app.add_typer(wallet_app, name="wallet")
identity_tasks.subscribe()  # outbox handlers: a death closes the account
linkage_tasks.subscribe()  # ... and a queued linkage run goes to the job queue
cleaning_tasks.subscribe()  # ... and a bank's customer list to be cleaned
app.add_typer(linkage_app, name="linkage")
procedures_tasks.subscribe()  # ... and a dossier's change notifies its citizen
app.add_typer(procedures_app, name="procedures")
exchange_tasks.subscribe()  # ... the insurer's cards get linked, a newborn gets a card
app.add_typer(exchange_app, name="exchange")
payments_tasks.subscribe()  # ... a death stops payments, a move changes the commune list
app.add_typer(payments_app, name="payments")
app.command("demo")(demo_command)
console = Console()
ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url or get_settings().database_url)
    return config


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    console.print(f"database at {revision}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the web application and the API (with a worker of the background jobs inside,
    unless DANCU_JOBS_IN_PROCESS=false: then run ``dancu worker`` apart)."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    settings = get_settings()
    uvicorn.run(
        "dancu.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        access_log=False,
        log_config=jobs.server_log_config(LOGGING_CONFIG),  # the jobs' lines too
    )


@app.command()
def worker(
    workers: Annotated[
        int | None, typer.Option(help="worker threads (default: DANCU_JOBS_WORKERS)", min=1)
    ] = None,
    periodic: Annotated[
        bool, typer.Option(help="also enqueue the scheduled jobs (sealer, outbox, purge)")
    ] = True,
) -> None:
    """Run the background jobs, apart from the web servers (any number of workers).

    Ctrl-C (INT) lets running jobs finish; TERM stops at once (a linkage run it held is
    resumed by a worker after DANCU_LINKAGE_STALE_SECONDS); HUP restarts."""
    logging.basicConfig(level=logging.INFO, format=jobs.LOG_FORMAT)
    settings = get_settings()
    console.print(
        f"worker: {workers or settings.jobs_workers} threads, jobs in "
        f"{jobs.store_url(settings).split('@')[-1]}, queue {settings.jobs_queue!r}",
        soft_wrap=True,
    )
    jobs.run_worker(workers=workers, periodic=periodic)


@audit_app.command("seal")
def audit_seal() -> None:
    """Chain every entry written since the last seal (a scheduled job does it every second)."""
    sealed = audit_chain.seal_pending(get_sessionmaker())
    console.print(f"sealed {sealed:,} entries")


@audit_app.command("archive")
def audit_archive_months(
    before: Annotated[str, typer.Option(help="archive the months before this one (YYYY-MM)")],
    out: Annotated[Path, typer.Option(help="the archives' folder")] = Path("var/audit-archive"),
    drop: Annotated[
        bool, typer.Option(help="then detach and drop the month's partition (PostgreSQL)")
    ] = True,
) -> None:
    """Export each past, sealed month before BEFORE to a signed file in OUT (one per month;
    a month already there is left alone), then drop its partition (PostgreSQL; SQLite keeps
    one table). Verify afterwards with --archives OUT (ADR 0010)."""
    try:
        with get_sessionmaker()() as session:
            for month in audit_archive.archivable_months(session, before):
                if (out / audit_archive.archive_name(month)).exists():
                    console.print(f"{month}: already archived")
                    continue
                info = audit_archive.archive_month(session, month, out)
                console.print(
                    f"{month}: {info.count:,} entries (seq {info.first_seq}..{info.last_seq})"
                    f" -> {info.path}, sha256 {info.sha256}",
                    soft_wrap=True,
                )
                session.rollback()  # the export's snapshot holds the partition
                if drop:
                    with session.begin():
                        dropped = audit_partitions.drop_month(session, info)
                    if dropped:
                        console.print(f"{month}: partition dropped from the table")
    except audit_archive.ArchiveError as exc:
        console.print(f"[red]not archived[/red]: {exc}")
        raise typer.Exit(1) from exc


@audit_app.command("verify")
def audit_verify(
    archives: Annotated[
        Path | None, typer.Option(help="also walk the chain through this folder's archives")
    ] = None,
) -> None:
    """Check the hash chain; report the first entry that was changed or deleted."""
    files = sorted(archives.glob("audit-*.jsonl.gz")) if archives else []
    with get_sessionmaker()() as session:
        result = audit_chain.verify(session, archives=files)
        waiting = audit_chain.pending(session)
        seq, last_hash = audit_chain.head(session)
    if result.ok:
        console.print(f"[green]audit log intact[/green]: {result.checked:,} entries")
        if files:
            console.print(f"through {len(files)} archive(s) and the table")
        if seq:
            console.print(f"head: entry {seq}, hash {last_hash}", soft_wrap=True)
        if waiting:
            console.print(f"{waiting:,} newer entries not sealed yet (dancu audit seal)")
        return
    if result.first_bad_seq is None:  # an archive that cannot be trusted
        console.print(f"[red]audit log not verified[/red]: {result.reason}", soft_wrap=True)
        raise typer.Exit(1)
    console.print(
        f"[red]audit log broken at entry {result.first_bad_seq}[/red]: {result.reason} "
        f"({result.checked:,} entries verified before it)"
    )
    raise typer.Exit(1)


@audit_app.command("archive-key")
def audit_archive_key() -> None:
    """Print the public key that checks this server's audit archives (PEM), for inspectors."""
    typer.echo(audit_archive.public_key_pem(), nl=False)


@audit_app.command("check-archive")
def audit_check_archive(
    file: Annotated[Path, typer.Argument(help="an archive, audit-YYYY-MM.jsonl.gz")],
    public_key: Annotated[
        Path, typer.Option(help="the server's archive key (PEM, from dancu audit archive-key)")
    ],
) -> None:
    """Check one archive with the public key alone: no database and no server secret. Its
    lines must match its hash, its signature the key, its entries chain order."""
    try:
        verifier = audit_archive.load_public_key(public_key.read_bytes())
        info = audit_archive.check_archive(file, verifier=verifier)
    except (OSError, audit_archive.ArchiveError) as exc:
        console.print(f"[red]archive not valid[/red]: {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc
    console.print(
        f"[green]archive valid[/green]: {info.month}, {info.count:,} entries "
        f"(seq {info.first_seq}..{info.last_seq}), signed by key "
        f"{audit_archive.key_id(verifier)}",
        soft_wrap=True,
    )


@outbox_app.command("dispatch")
def outbox_dispatch() -> None:
    """Deliver events left undelivered (after a crash or a failing handler)."""
    count = outbox.dispatch_pending(get_sessionmaker())
    console.print(f"{count} events delivered")


@app.command("dev-token")
def dev_token(
    role: Annotated[list[Role], typer.Option(help="roles of the actor")],
    unit: Annotated[list[str] | None, typer.Option(help="province/commune codes")] = None,
    name: str = "API client",
    actor_id: str = "client:dev",
) -> None:
    """Print a signed bearer token for the API (development and benchmarks)."""
    actor = Actor(id=actor_id, name=name, roles=frozenset(role), units=tuple(unit or ()))
    typer.echo(issue_token(actor))
