"""``dancu exchange ...``: partners, credentials, kiosks, insurance cards, the message log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR
from dancu.common.errors import DancuError
from dancu.db.uow import unit_of_work
from dancu.exchange.checkin import kiosks
from dancu.exchange.insurance import service as insurance
from dancu.exchange.messagelog import service as messagelog
from dancu.exchange.partners import service as partners
from dancu.exchange.partners.schemas import PartnerIn

app = typer.Typer(
    help="The exchange door: partners, credentials, kiosks, message log.", no_args_is_help=True
)
partner_app = typer.Typer(help="Partners and their credentials.", no_args_is_help=True)
app.add_typer(partner_app, name="partner")
console = Console()


def _fail(exc: DancuError) -> typer.Exit:
    console.print(f"[red]{exc.code}[/red]: {exc.message}", soft_wrap=True)
    return typer.Exit(2)


@partner_app.command("add")
def add_partner(
    code: str,
    name: Annotated[str, typer.Option()],
    kind: Annotated[str, typer.Option(help="hospital, bank, insurer or agency")],
    facility: Annotated[str | None, typer.Option(help="a hospital's facility code")] = None,
    rate: Annotated[int, typer.Option(help="requests a minute")] = 600,
) -> None:
    """Register a partner with its kind's default purposes and fields."""
    try:
        with unit_of_work() as session:
            data = PartnerIn(
                code=code, name=name, kind=kind, facility_code=facility, rate_per_minute=rate
            )
            partners.register_partner(session, data, actor=SYSTEM_ACTOR)
    except DancuError as exc:
        raise _fail(exc) from exc
    console.print(f"partner {code} registered")


@partner_app.command("credential")
def issue(
    code: str,
    jwks: Annotated[
        Path | None, typer.Option(exists=True, help="public JWKS: private_key_jwt")
    ] = None,
    days: Annotated[int | None, typer.Option(help="lifetime in days")] = None,
) -> None:
    """Issue a credential (an OIDC client-credentials client) to a partner."""
    keys = json.loads(jwks.read_text()) if jwks else None
    try:
        with unit_of_work() as session:
            new = partners.issue_credential(session, code, actor=SYSTEM_ACTOR, jwks=keys, days=days)
    except DancuError as exc:
        raise _fail(exc) from exc
    console.print(f"client_id: {new.client_id}\nexpires:   {new.expires_at:%Y-%m-%d}")
    if new.secret:
        console.print(f"secret:    {new.secret}  (shown once)")


@partner_app.command("rotate")
def rotate(
    client_id: str,
    overlap_hours: Annotated[
        int | None, typer.Option(help="how long the old one still works")
    ] = None,
) -> None:
    """A new credential; the old one keeps working for the overlap."""
    try:
        with unit_of_work() as session:
            new = partners.rotate_credential(
                session, client_id, actor=SYSTEM_ACTOR, overlap_hours=overlap_hours
            )
    except DancuError as exc:
        raise _fail(exc) from exc
    console.print(f"client_id: {new.client_id}")
    if new.secret:
        console.print(f"secret:    {new.secret}  (shown once)")


@partner_app.command("revoke")
def revoke(client_id: str) -> None:
    """Refuse a credential at the door from now on."""
    try:
        with unit_of_work() as session:
            partners.revoke_credential(session, client_id, actor=SYSTEM_ACTOR)
    except DancuError as exc:
        raise _fail(exc) from exc
    console.print(f"{client_id} revoked")


@app.command("kiosk")
def add_kiosk(partner: str, name: Annotated[str, typer.Option()] = "Kiosk") -> None:
    """Register a kiosk of a hospital partner; prints its enrolment code (once)."""
    try:
        with unit_of_work() as session:
            kiosk, secret = kiosks.add_kiosk(session, partner, name, actor=SYSTEM_ACTOR)
            kiosk_id = kiosk.id
    except DancuError as exc:
        raise _fail(exc) from exc
    console.print(f"kiosk {kiosk_id}: enrolment code {secret}  (shown once)")


@app.command("insurance-import")
def insurance_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Import the insurer's card file (CSV or XLSX); linkage follows in the background."""
    try:
        with unit_of_work() as session:
            out = insurance.import_file(
                session, file.read_bytes(), file.suffix.lstrip("."), actor=SYSTEM_ACTOR
            )
    except DancuError as exc:
        raise _fail(exc) from exc
    console.print(f"stored {out.stored} of {out.received}; problems: {len(out.problems)}")
    for p in out.problems[:20]:
        console.print(f"  line {p['line']}: {p['field']} ({p['code']})")


@app.command("insurance-link")
def insurance_link(province: str) -> None:
    """Link a province's unlinked cards now (in the foreground)."""
    with unit_of_work() as session:
        metrics = insurance.link_cards(session, province, actor=SYSTEM_ACTOR)
    console.print(f"linked {metrics.get('linked', 0)} of {metrics.get('records', 0)}")


@app.command("export-log")
def export_log(out: Annotated[Path, typer.Argument(dir_okay=False)]) -> None:
    """Seal, then write the message log (entries, signed checkpoints, public keys) as JSON."""
    with unit_of_work() as session:
        messagelog.seal(session)
    with unit_of_work() as session:
        document = messagelog.export(session, actor=SYSTEM_ACTOR)
    out.write_text(json.dumps(document, ensure_ascii=False))
    console.print(f"{len(document['entries'])} entries written to {out}")


@app.command("verify-log")
def verify_log(
    source: Annotated[str, typer.Argument(help="an export file, or a database URL")],
    jwks: Annotated[
        Path | None, typer.Option(exists=True, help="the public keys you trust")
    ] = None,
) -> None:
    """Verify the message log offline: every hash, every link, every signed checkpoint."""
    document = _document(source)
    trusted = json.loads(jwks.read_text()) if jwks else None
    verdict = messagelog.verify(document, trusted)
    if not verdict.ok:
        console.print(
            f"[red]exchange.log_broken[/red] at entry {verdict.first_bad_seq}: {verdict.reason}"
        )
        raise typer.Exit(1)
    console.print(
        f"ok: {verdict.entries} entries, signed up to {verdict.signed_up_to}, "
        f"{verdict.unsigned} not yet signed"
    )


def _document(source: str) -> dict:  # type: ignore[type-arg]
    path = Path(source)
    if path.exists():
        return json.loads(path.read_text())
    engine = create_engine(source.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with Session(engine) as session:
            return messagelog.export(session, actor=SYSTEM_ACTOR)
    finally:
        engine.dispose()
