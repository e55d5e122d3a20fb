"""The ``dancu`` command: serve, worker, demo, db, audit, outbox, and each domain's commands.

Each domain's commands are registered lazily (:class:`LazyGroup`): a domain's module is
imported only when one of its commands runs (or its ``--help`` is asked), so ``dancu
linkage run`` does not import the procedures' PDF fonts or the demo. For the same reason
the domains' outbox handlers are subscribed only when this process first delivers an
event (``subscribe_handlers``), and ``dancu worker`` imports every domain's jobs itself.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from dancu.common import outbox
from dancu.common.access import Actor, Role
from dancu.db import get_sessionmaker
from dancu.db.uow import unit_of_work
from dancu.settings import get_settings


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """A sub-command of ``dancu`` known by name and summary until it is invoked: then
    ``attribute`` of ``module`` (a Typer app, or a command function) is imported, with the
    ``subgroups`` (name -> ``module:attribute`` of a Typer app) added to it."""

    summary: str
    module: str
    attribute: str = "app"
    subgroups: tuple[tuple[str, str], ...] = ()


LAZY: dict[str, LazyCommand] = {
    "registry": LazyCommand("The population registry.", "dancu.registry.cli"),
    "identity": LazyCommand(
        "Electronic identity: accounts and officers.",
        "dancu.identity.cli",
        subgroups=(
            ("client", "dancu.identity.oidc.cli:app"),
            ("wallet", "dancu.identity.wallet.cli:app"),
        ),
    ),
    "linkage": LazyCommand(
        "Sector data: import, match to the registry, report.", "dancu.linkage.cli"
    ),
    "procedures": LazyCommand(
        "Online public services: catalogue, calendar, escalation.", "dancu.procedures.cli"
    ),
    "exchange": LazyCommand(
        "The exchange door: partners, credentials, kiosks, message log.", "dancu.exchange.cli"
    ),
    "payments": LazyCommand(
        "Social payments: programmes, beneficiaries, cycles, bank files.", "dancu.payments.cli"
    ),
    "demo": LazyCommand(
        "Seed a synthetic province: households, citizens, ID cards, some deaths and marriages.",
        "dancu.demo.cli",
        attribute="demo_command",
    ),
}


def _imported(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


@cache
def load_command(name: str) -> click.Command:
    """The real command of a lazy sub-command (imported once a process), built exactly as
    ``add_typer`` / ``command`` would build it under the root."""
    spec = LAZY[name]
    target = _imported(f"{spec.module}:{spec.attribute}")
    wrapper = typer.Typer(add_completion=False)
    wrapper.callback()(lambda: None)  # a group, even around a single command
    if isinstance(target, typer.Typer):
        for sub, path in spec.subgroups:
            if sub not in {g.name for g in target.registered_groups}:
                target.add_typer(_imported(path), name=sub)
        wrapper.add_typer(target, name=name)
    else:
        wrapper.command(name)(target)
    group = typer.main.get_command(wrapper)
    assert isinstance(group, TyperGroup)
    return group.commands[name]


class LazyGroup(TyperGroup):
    """The root group: lists the lazy sub-commands with their summaries (no import) and
    imports one only when it is resolved to run or to show its own help."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in LAZY if n not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in LAZY:
            return click.Command(cmd_name, help=LAZY[cmd_name].summary)  # for listing
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name in LAZY and name not in self.commands:
            command = load_command(name)
        return name, command, rest


def subscribe_handlers() -> None:
    """Every domain's outbox handlers (importing their modules declares their jobs too)."""
    from dancu.common import tasks as common_tasks  # noqa: F401 (declares the kernel's jobs)
    from dancu.exchange import tasks as exchange_tasks
    from dancu.exchange.cleaning import tasks as cleaning_tasks
    from dancu.identity import tasks as identity_tasks
    from dancu.linkage import tasks as linkage_tasks
    from dancu.payments import tasks as payments_tasks
    from dancu.procedures import tasks as procedures_tasks

    identity_tasks.subscribe()  # a death closes the account
    linkage_tasks.subscribe()  # a queued linkage run goes to the job queue
    cleaning_tasks.subscribe()  # a bank's customer list to be cleaned
    procedures_tasks.subscribe()  # a dossier's change notifies its citizen
    exchange_tasks.subscribe()  # the insurer's cards get linked, a newborn gets a card
    payments_tasks.subscribe()  # a death stops payments, a move changes the commune list


outbox.dispatcher.wire_before_delivery(subscribe_handlers)

app = typer.Typer(
    cls=LazyGroup,
    help="dancu: population registry and e-identity (Project 06).",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
outbox_app = typer.Typer(help="The event outbox.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(outbox_app, name="outbox")
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

    from dancu.common import jobs

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    if settings.env != "production" and settings.dev_login:
        _repoint_demo_portal(host, port)
    uvicorn.run(
        "dancu.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=jobs.server_log_config(LOGGING_CONFIG),  # the jobs' lines too
    )


def _repoint_demo_portal(host: str, port: int) -> None:
    """The demo registered its sample portal's callbacks at DANCU_PORT; served on another
    port, the provider refused the portal's sign-in ("invalid request")."""
    from dancu.demo import rp_pages

    try:
        with unit_of_work() as session:
            rp_pages.repoint_client(session, host, port)
    except DBAPIError:  # not migrated yet: nothing registered to re-point
        logging.getLogger(__name__).info("demo portal not re-pointed: no database yet")


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
    from dancu.common import jobs

    subscribe_handlers()  # every domain's jobs, and the handlers the outbox job delivers to
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
    from dancu.common import audit_chain

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
    from dancu.common import audit_archive, audit_partitions

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
    from dancu.common import audit_chain

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
    from dancu.common import audit_archive

    typer.echo(audit_archive.public_key_pem(), nl=False)


@audit_app.command("check-archive")
def audit_check_archive(
    file: Annotated[Path, typer.Argument(help="an archive, audit-YYYY-MM.jsonl.gz")],
    public_key: Annotated[
        Path, typer.Option(help="the server's archive key (PEM, from dancu audit archive-key)")
    ],
) -> None:
    """Check one archive with the public key alone (no database, no server secret)."""
    from dancu.common import audit_archive

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
    from dancu.web.auth import issue_token

    actor = Actor(id=actor_id, name=name, roles=frozenset(role), units=tuple(unit or ()))
    typer.echo(issue_token(actor))
