"""The JSON APIs' bearer tokens are the provider's access tokens.

``verify`` is what ``app.py`` installs as ``web.auth``'s bearer verifier: it turns an
``Authorization: Bearer <access token>`` (or ``DPoP <token>`` with a proof) into the
``Actor`` the API acts for, and the token's scopes.

- A token issued to a signed-in officer (code flow) acts as that officer: the roles and
  units of their live grants (``officers.actor_for``), read again on every request.
- A client-credentials token acts as the partner bound to the client at registration
  (``dancu identity client add --partner-role ...``): its roles, units, organization and
  allowed purposes, stored in ``oidc_client_partner``, also read on every request, so
  unbinding a partner or deactivating its client takes effect at once.

Unknown, expired and revoked tokens, and DPoP-bound tokens without their key's proof, get
401 with a ``WWW-Authenticate`` challenge; a token that is valid but acts for nobody with a
role gets 403 ``auth.no_role``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, and_, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.requests import Request

from dancu.common import adminunits
from dancu.common.access import PURPOSES, Actor, Role
from dancu.common.errors import Forbidden, NotAuthenticated, NotFound, ValidationFailed
from dancu.db import Base, UTCDateTime, utcnow
from dancu.identity.accounts import officers
from dancu.identity.accounts.models import Account
from dancu.identity.oidc import tokens as oidc_tokens
from dancu.identity.oidc.dpop import DPoPError, verify_proof
from dancu.identity.oidc.models import OidcClient, OidcToken
from dancu.identity.oidc.public_url import public_url

# The APIs' scopes: GET/HEAD needs the ``.read`` one, any other method the ``.write`` one
# (``app.py`` declares them per router with ``web.auth.api_scopes``).
API_SCOPES: dict[str, str] = {
    "registry.read": "Read the population registry (look-ups, searches, households)",
    "registry.write": "Record civil-status events and manage ID cards",
    "linkage.read": "Read sector-data sync rates, reports and the cleaning queue",
    "linkage.write": "Import sector data, run linkage, work the cleaning queue",
    "wallet.manage": "Revoke wallet documents",
}
# Roles a partner system may be bound to: never the administrator's.
PARTNER_ROLES = tuple(r for r in Role if r is not Role.SYSTEM)
_PARTNER_ROLE_BY_VALUE = {r.value: r for r in PARTNER_ROLES}


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a verified access token allows (``web.auth.BearerGrant``)."""

    actor: Actor
    scopes: frozenset[str]
    purposes: frozenset[str] = field(default_factory=frozenset)
    partner: bool = False  # a client acting for itself: only its bound purposes


def invalid_token(
    description: str, *, scheme: str = "Bearer", error: str = "invalid_token"
) -> NotAuthenticated:
    """401; ``web.auth`` turns ``scheme`` and ``error`` into the WWW-Authenticate challenge."""
    return NotAuthenticated(description, code="auth.invalid_token", scheme=scheme, error=error)


def no_role(description: str, scheme: str) -> Forbidden:
    return Forbidden(description, code="auth.no_role", scheme=scheme, error="insufficient_scope")


class ClientPartner(Base):
    """Who a client-credentials client acts as (one row per client, migration 0007)."""

    __tablename__ = "oidc_client_partner"

    client_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("oidc_client.client_id", ondelete="CASCADE"), primary_key=True
    )
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [] = nationwide; ``bind_partner`` stores it only when asked with ``nationwide=True``.
    units: Mapped[list[str]] = mapped_column(JSON, default=list)
    organization: Mapped[str] = mapped_column(String(200), default="")
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list)  # [] = none allowed
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- binding (the CLI) ----------------------------------------------------------------------


def bind_partner(
    session: Session,
    client_id: str,
    *,
    roles: Iterable[str],
    units: Iterable[str] = (),
    nationwide: bool = False,
    organization: str,
    purposes: Iterable[str],
) -> ClientPartner:
    """Bind (or re-bind) a client-credentials client to a partner identity.

    The partner reads within ``units``; nationwide reads need ``nationwide=True`` (and no
    units), so a forgotten unit is refused rather than widened to the whole country."""
    client = session.get(OidcClient, client_id)
    if client is None:
        raise NotFound("No such client", code="oidc.client_unknown", field="client_id")
    if "client_credentials" not in client.grant_types:
        raise ValidationFailed(
            "Only a client_credentials client acts as a partner",
            code="api.partner_grant",
            field="grant_types",
        )
    role_list, unit_list, purpose_list = _checked(roles, units, nationwide, organization, purposes)
    row = session.get(ClientPartner, client_id) or ClientPartner(client_id=client_id)
    row.roles, row.units, row.purposes = role_list, unit_list, purpose_list
    row.organization, row.bound_at = organization.strip(), utcnow()
    session.add(row)
    session.flush()
    return row


def partner_of(session: Session, client_id: str) -> ClientPartner | None:
    return session.get(ClientPartner, client_id)


def _checked(
    roles: Iterable[str],
    units: Iterable[str],
    nationwide: bool,
    organization: str,
    purposes: Iterable[str],
) -> tuple[list[str], list[str], list[str]]:
    role_list = sorted(set(roles))
    if not role_list:
        raise ValidationFailed("A partner needs a role", code="api.partner_role", field="roles")
    if bad := [r for r in role_list if r not in {p.value for p in PARTNER_ROLES}]:
        raise ValidationFailed(
            f"Roles a partner cannot hold: {bad}", code="api.partner_role", field="roles"
        )
    unit_list = list(dict.fromkeys(units))
    if not unit_list and not nationwide:
        raise ValidationFailed(
            "Name at least one unit (--partner-unit / --unit), or bind the partner nationwide "
            "explicitly (--partner-nationwide / --nationwide)",
            code="api.partner_unit",
            field="units",
        )
    if unit_list and nationwide:
        raise ValidationFailed(
            "A nationwide partner takes no units (--nationwide with --unit)",
            code="api.partner_unit",
            field="units",
        )
    for unit in unit_list:
        if not _known_unit(unit):
            raise ValidationFailed(f"Unknown unit {unit!r}", code="api.partner_unit", field="units")
    if not organization.strip():
        raise ValidationFailed(
            "Name the partner's organization",
            code="api.partner_organization",
            field="organization",
        )
    purpose_list = sorted(set(purposes))
    if not purpose_list:
        raise ValidationFailed(
            "Name the purposes the partner reads data for",
            code="api.partner_purpose",
            field="purposes",
        )
    if bad := [p for p in purpose_list if p not in PURPOSES]:
        raise ValidationFailed(
            f"Unknown purposes: {bad}", code="api.partner_purpose", field="purposes"
        )
    return role_list, unit_list, purpose_list


def _known_unit(code: str) -> bool:
    if len(code) == 5:
        return adminunits.find_commune(code) is not None
    return len(code) == 2 and any(p.code == code for p in adminunits.provinces())


# -- verification (every API request with a bearer) -----------------------------------------

_T, _C, _P = OidcToken.__table__, OidcClient.__table__, ClientPartner.__table__
# One statement per request, built once (SQLAlchemy's compiled cache): the token, whether its
# client is still active, and the partner bound to it.
_LOOKUP = (
    select(
        _T.c.client_id,
        _T.c.account_id,
        _T.c.scope,
        _T.c.jkt,
        _T.c.expires_at,
        _T.c.revoked_at,
        _C.c.name,
        _P.c.roles,
        _P.c.units,
        _P.c.organization,
        _P.c.purposes,
    )
    .select_from(
        _T.join(_C, and_(_C.c.client_id == _T.c.client_id, _C.c.active.is_(True))).outerjoin(
            _P, _P.c.client_id == _T.c.client_id
        )
    )
    .where(_T.c.access_hash == bindparam("key"))
)


def verify(
    session: Session, request: Request, scheme: str, token: str, *, now: datetime | None = None
) -> TokenGrant:
    """The actor and scopes of a presented access token (``scheme``: bearer or dpop)."""
    now = now or utcnow()
    challenge = "DPoP" if scheme == "dpop" else "Bearer"
    row = session.connection().execute(_LOOKUP, {"key": oidc_tokens.digest(token)}).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise invalid_token("The access token is unknown, expired or revoked", scheme=challenge)
    if row.jkt is not None or scheme == "dpop":
        _check_dpop(session, request, scheme, token, row.jkt, now)
    scopes = frozenset(row.scope.split())
    if row.account_id is not None:
        return TokenGrant(_officer(session, row.account_id, challenge), scopes)
    # A stored role that no longer exists (or ``system``) is skipped, not a 500.
    roles = frozenset(
        _PARTNER_ROLE_BY_VALUE[r] for r in row.roles or () if r in _PARTNER_ROLE_BY_VALUE
    )
    if not roles:
        raise no_role("This client is bound to no partner role", challenge)
    actor = Actor(
        id=f"client:{row.client_id}",
        name=row.name,
        roles=roles,
        units=tuple(row.units or ()),
        organization=row.organization or "",
        purposes=frozenset(row.purposes or ()),
    )
    return TokenGrant(actor, scopes, frozenset(row.purposes or ()), partner=True)


def _check_dpop(
    session: Session, request: Request, scheme: str, token: str, jkt: str | None, now: datetime
) -> None:
    if scheme != "dpop" or jkt is None:
        raise invalid_token("This token must be presented with DPoP", scheme="DPoP")
    try:
        proof_jkt = verify_proof(
            session,
            request.headers.getlist("dpop"),
            method=request.method,
            url=public_url(request),
            access_token=token,
            now=now,
        )
    except DPoPError as exc:
        raise invalid_token(exc.description, scheme="DPoP", error=exc.error) from exc
    if proof_jkt != jkt:
        raise invalid_token("The DPoP key is not the token's key", scheme="DPoP")


def _officer(session: Session, account_id: int, challenge: str) -> Actor:
    account = session.get(Account, account_id)
    if account is None or account.status != "active":
        raise invalid_token("The account is no longer active", scheme=challenge)
    actor = officers.actor_for(session, account)
    if not actor.roles:
        raise no_role("The signed-in account holds no officer role", challenge)
    return actor


def describe(row: ClientPartner | None) -> dict[str, Any]:
    """The binding as ``dancu identity client list`` shows it."""
    if row is None:
        return {}
    return {
        "roles": list(row.roles),
        "units": list(row.units) or ["*"],
        "organization": row.organization,
        "purposes": list(row.purposes),
    }
