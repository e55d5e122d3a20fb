"""``dancu identity client ...``: register relying parties, list them, rotate signing keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dancu.common.errors import DancuError
from dancu.db import utcnow
from dancu.db.uow import unit_of_work
from dancu.identity.keys import service as keys
from dancu.identity.oidc import clients as oidc_clients
from dancu.identity.oidc import partners
from dancu.identity.oidc import tokens as oidc_tokens

app = typer.Typer(help="OpenID Connect relying parties and signing keys.", no_args_is_help=True)
console = Console()


@app.command("add")
def add(
    client_id: str,
    name: Annotated[str, typer.Option(help="shown on the consent page")],
    auth: Annotated[str, typer.Option(help="client_secret_basic | private_key_jwt | none")] = (
        "client_secret_basic"
    ),
    redirect_uri: Annotated[list[str] | None, typer.Option(help="exact redirect URI")] = None,
    scope: Annotated[list[str] | None, typer.Option(help="allowed scope (repeat)")] = None,
    grant: Annotated[list[str] | None, typer.Option(help="grant type (repeat)")] = None,
    jwks: Annotated[Path | None, typer.Option(help="the client's public JWKS (JSON file)")] = None,
    acr: Annotated[str | None, typer.Option(help="required acr, e.g. urn:dancu:acr:level2")] = None,
    fapi2: Annotated[bool, typer.Option(help="FAPI 2.0: PAR + PKCE + private_key_jwt + DPoP")] = (
        False
    ),
    subject: Annotated[str, typer.Option(help="pairwise | public")] = "pairwise",
    partner_role: Annotated[
        list[str] | None, typer.Option(help="client_credentials: the partner's role (repeat)")
    ] = None,
    partner_unit: Annotated[
        list[str] | None, typer.Option(help="its province/commune code (repeat; required)")
    ] = None,
    partner_nationwide: Annotated[
        bool, typer.Option(help="the partner reads nationwide (instead of --partner-unit)")
    ] = False,
    partner_organization: Annotated[str, typer.Option(help="the partner's organization")] = "",
    partner_purpose: Annotated[
        list[str] | None, typer.Option(help="a purpose it reads data for (repeat)")
    ] = None,
) -> None:
    """Register a relying party; prints the client secret once (client_secret_basic).

    A client_credentials client acts on the APIs as the partner named by the --partner-*
    options; without a partner role its tokens are refused (403 auth.no_role)."""
    partner = (
        partner_role
        or partner_unit
        or partner_nationwide
        or partner_organization
        or partner_purpose
    )
    try:
        with unit_of_work() as session:
            created = oidc_clients.add_client(
                session,
                client_id=client_id,
                name=name,
                auth_method=auth,
                redirect_uris=redirect_uri or [],
                scopes=scope or ["openid", "profile"],
                grant_types=grant or ["authorization_code", "refresh_token"],
                jwks=json.loads(jwks.read_text()) if jwks else None,
                required_acr=acr,
                fapi2=fapi2,
                subject_type=subject,
            )
            if partner:
                partners.bind_partner(
                    session,
                    client_id,
                    roles=partner_role or [],
                    units=partner_unit or [],
                    nationwide=partner_nationwide,
                    organization=partner_organization,
                    purposes=partner_purpose or [],
                )
            secret = created.secret
    except DancuError as exc:
        console.print(f"[red]{exc.code}: {exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"client {client_id} registered")
    if secret:
        console.print(f"client_secret (shown once): {secret}")


@app.command("list")
def list_clients() -> None:
    """Every registered relying party."""
    with unit_of_work() as session:
        rows = oidc_clients.list_clients(session)
        for r in rows:
            fapi = " fapi2" if r.fapi2 else ""
            acr = f" acr={r.required_acr}" if r.required_acr else ""
            bound = partners.describe(partners.partner_of(session, r.client_id))
            partner = " ".join(
                f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in bound.items()
            )
            print(
                f"{r.client_id}\t{r.name}\t{r.auth_method}{fapi}{acr}\t"
                f"{','.join(r.grant_types)}\t{' '.join(r.redirect_uris)}\t{partner}"
            )


@app.command("partner")
def partner(
    client_id: str,
    role: Annotated[list[str], typer.Option(help="the partner's role (repeat)")],
    organization: Annotated[str, typer.Option(help="the partner's organization")],
    purpose: Annotated[list[str], typer.Option(help="a purpose it reads data for (repeat)")],
    unit: Annotated[
        list[str] | None, typer.Option(help="province/commune code (repeat; required)")
    ] = None,
    nationwide: Annotated[bool, typer.Option(help="reads nationwide (instead of --unit)")] = False,
) -> None:
    """Bind an existing client_credentials client to a partner identity (replaces the old)."""
    try:
        with unit_of_work() as session:
            partners.bind_partner(
                session,
                client_id,
                roles=role,
                units=unit or [],
                nationwide=nationwide,
                organization=organization,
                purposes=purpose,
            )
    except DancuError as exc:
        console.print(f"[red]{exc.code}: {exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"client {client_id} acts as {organization} ({', '.join(role)})")


@app.command("rotate-keys")
def rotate_keys(
    purpose: Annotated[str, typer.Option(help="oidc | wallet | ...")] = "oidc",
    alg: Annotated[str, typer.Option(help="ES256 | RS256")] = "ES256",
) -> None:
    """Make a new signing key current; the old one verifies until its grace ends."""
    with unit_of_work() as session:
        key = keys.rotate(session, purpose, alg=alg)  # type: ignore[arg-type]
        rows = keys.key_list(session, purpose)
        console.print(f"new {purpose} key {key.kid} ({alg})")
        for r in rows:
            state = "current" if r.retires_at is None else f"retires {r.retires_at:%Y-%m-%d %H:%M}"
            console.print(f"  {r.kid}  {r.alg}  {state}")


@app.command("purge")
def purge() -> None:
    """Delete expired codes, pushed requests, seen JWT ids and long-dead tokens."""
    with unit_of_work() as session:
        count = oidc_tokens.purge_expired(session, utcnow())
    console.print(f"purged {count} rows")
