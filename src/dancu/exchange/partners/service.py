"""Partners: registration, purposes, credentials, and the check every exchange request passes.

``authorize`` turns a verified access token's actor into a ``PartnerContext`` or refuses
with a stable code: no credential of the exchange, a revoked, rotated-out or expired
credential, a suspended partner, a purpose not granted, a field outside the purpose (or
unknown), over the rate limit. ``minimise`` is the one filter every exchange answer passes:
it drops every field the request was not authorized to receive.

Credentials are the identity domain's OIDC clients (client credentials, with a secret or
``private_key_jwt``), bound to the partner with ``identity.oidc.partners.bind_partner``
(role ``exchange_partner``, the partner's purposes). Rotation registers a new client and
lets the old one work until the overlap ends; revocation refuses the client at the door at
once. ``token_refusal`` is the same credential check at identity's token endpoint (installed
as a client gate, ``identity.oidc.gates``): a revoked, expired or rotated-out credential, or
a suspended partner's, gets no new access token either.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import PURPOSES, Actor, Permission, Role
from dancu.common.errors import (
    Conflict,
    DancuError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    ValidationFailed,
)
from dancu.db import utcnow
from dancu.exchange.errors import ExchangeErrorCode
from dancu.exchange.partners import ratelimit
from dancu.exchange.partners import repository as repo
from dancu.exchange.partners.models import Credential, Partner, PartnerPurpose
from dancu.exchange.partners.purposes import DEFAULTS, ENVELOPE, FIELDS, KINDS, PURPOSE_FIELDS
from dancu.exchange.partners.schemas import NewCredential, PartnerContext, PartnerIn, PurposeIn
from dancu.identity.oidc import clients as oidc_clients
from dancu.identity.oidc import partners as oidc_partners
from dancu.settings import get_settings

SCOPE = "exchange.use"
_C = ExchangeErrorCode


# -- the door's check --------------------------------------------------------------------


def client_of(actor: Actor) -> str | None:
    """The client id of a partner's token (``client:<id>``), None for anyone else."""
    return actor.id.removeprefix("client:") if actor.id.startswith("client:") else None


def authorize(
    session: Session,
    actor: Actor,
    purpose: str,
    fields: Iterable[str] | None = None,
    *,
    now: datetime | None = None,
    count: bool = True,
) -> PartnerContext:
    """The partner behind ``actor`` may ask for ``fields`` (None: the purpose's defaults)
    for ``purpose`` now; counts the request against its rate limits (``count``)."""
    now = now or utcnow()
    client_id = client_of(actor)
    row = repo.door_row(session, client_id, purpose) if client_id else None
    if row is None:
        raise Forbidden(
            "Only a registered exchange partner uses this door", code=_C.CREDENTIAL_NOT_FOUND
        )
    _check_credential(row, now)
    if row.suspended_at is not None:
        raise Forbidden("The partner is suspended", code=_C.PARTNER_SUSPENDED)
    if row.fields is None or purpose not in PURPOSES:
        raise Forbidden(
            f"The partner may not use data for {purpose!r}",
            code=_C.PURPOSE_NOT_GRANTED,
            field="purpose",
        )
    actor.require_purpose_allowed(purpose)
    ctx = PartnerContext(
        partner_id=row.partner_id,
        partner_code=row.code,
        partner_name=row.name,
        kind=row.kind,
        facility_code=row.facility_code,
        client_id=row.client_id,
        purpose=purpose,
        actor=actor,
        fields=frozenset(row.fields),
        consent_fields=frozenset(row.consent_fields or ()),
    )
    ctx = _asking(ctx, fields)
    if count:
        ratelimit.hit(
            row.code, purpose, per_partner=row.rate_per_minute, per_purpose=row.purpose_rate
        )
    return ctx


def token_refusal(session: Session, client_id: str, now: datetime) -> str | None:
    """Identity's client gate: why the token endpoint must refuse this client a new token
    (``"<code>: <message>"``), or None. Clients that are no exchange credential pass. The
    refusal is audited like the door's (``exchange.refused``, the code in ``fields``)."""
    row = repo.door_row(session, client_id, "")
    if row is None:
        return None
    try:
        _check_credential(row, now)
        if row.suspended_at is not None:
            raise Forbidden("The partner is suspended", code=_C.PARTNER_SUSPENDED)
    except DancuError as exc:
        audit.record(
            session,
            Actor(id=f"client:{client_id}"[:80], name=row.name[:200], organization=row.name),
            action="exchange.refused",
            subject_type="exchange_credential",
            subject_id=client_id,
            purpose="inspection",
            fields=(exc.code,),
        )
        return f"{exc.code}: {exc.message}"
    return None


def _check_credential(row: Any, now: datetime) -> None:
    if row.revoked_at is not None:
        raise NotAuthenticated("The credential was revoked", code=_C.CREDENTIAL_REVOKED)
    if row.expires_at <= now:
        if row.rotated_at is not None:
            raise NotAuthenticated(
                "The credential was rotated out and its overlap has ended",
                code=_C.CREDENTIAL_ROTATED,
            )
        raise NotAuthenticated("The credential has expired", code=_C.CREDENTIAL_EXPIRED)


def _asking(ctx: PartnerContext, fields: Iterable[str] | None) -> PartnerContext:
    asked = frozenset(fields) if fields is not None else ctx.fields
    if unknown := sorted(asked - set(FIELDS)):
        raise ValidationFailed(
            f"Unknown field {unknown[0]!r}", code=_C.FIELD_UNKNOWN, field="fields", value=unknown[0]
        )
    if outside := sorted(asked - ctx.fields - ctx.consent_fields):
        raise Forbidden(
            f"The purpose {ctx.purpose!r} does not release {outside[0]!r}",
            code=_C.FIELD_NOT_ALLOWED,
            field="fields",
            value=outside[0],
        )
    return PartnerContext(**{**ctx.__dict__, "asked": asked})


def minimise(
    ctx: PartnerContext, data: Mapping[str, Any], *, consented: Iterable[str] = ()
) -> dict[str, Any]:
    """The answer with only the fields this request may receive: what it asked for among
    the purpose's defaults, and the consent-only ones the citizen consented to. Every
    exchange answer passes here (``door.serve``); anything else a service put in is dropped."""
    released = (ctx.asked & ctx.fields) | (ctx.asked & ctx.consent_fields & set(consented))
    return {k: v for k, v in data.items() if k in released or k in ENVELOPE}


# -- registration ------------------------------------------------------------------------


def register_partner(session: Session, data: PartnerIn, *, actor: Actor) -> Partner:
    """A new partner with its purposes (the kind's defaults when none are named)."""
    actor.require(Permission.EXCHANGE_MANAGE)
    if data.kind not in KINDS:
        raise ValidationFailed("Unknown kind of partner", code=_C.PARTNER_KIND, field="kind")
    if repo.partner_by_code(session, data.code) is not None:
        raise Conflict("A partner with this code exists", code=_C.PARTNER_EXISTS, field="code")
    partner = Partner(
        code=data.code,
        name=data.name.strip(),
        kind=data.kind,
        facility_code=data.facility_code,
        rate_per_minute=data.rate_per_minute,
    )
    session.add(partner)
    session.flush()
    wanted = data.purposes
    if wanted is None:
        wanted = [PurposeIn(purpose=p) for p in DEFAULTS[data.kind]]
    for item in wanted:
        _add_purpose(session, partner, item)
    _audit(session, actor, "exchange.partner_registered", partner, [p.purpose for p in wanted])
    return partner


def set_purpose(session: Session, code: str, item: PurposeIn, *, actor: Actor) -> PartnerPurpose:
    """Grant a purpose (or change its fields); the partner's credentials are re-bound."""
    actor.require(Permission.EXCHANGE_MANAGE)
    partner = get_partner(session, code)
    row = _add_purpose(session, partner, item)
    _rebind(session, partner)
    _audit(session, actor, "exchange.purpose_set", partner, [item.purpose, *row.fields])
    return row


def _add_purpose(session: Session, partner: Partner, item: PurposeIn) -> PartnerPurpose:
    if item.purpose not in PURPOSE_FIELDS:
        raise ValidationFailed(
            "This purpose cannot be granted through the exchange",
            code=_C.PURPOSE_NOT_GRANTED,
            field="purpose",
        )
    default, consent = DEFAULTS.get(partner.kind, {}).get(item.purpose, ((), ()))
    fields = list(item.fields if item.fields is not None else default)
    consent_fields = list(item.consent_fields if item.consent_fields is not None else consent)
    allowed = set(PURPOSE_FIELDS[item.purpose])
    if bad := sorted((set(fields) | set(consent_fields)) - allowed):
        raise ValidationFailed(
            f"The purpose does not release {bad[0]!r}", code=_C.FIELD_NOT_ALLOWED, field="fields"
        )
    if not fields:
        raise ValidationFailed("Name the purpose's fields", code=_C.FIELD_UNKNOWN, field="fields")
    row = repo.purpose_row(session, partner.id, item.purpose) or PartnerPurpose(
        partner_id=partner.id, purpose=item.purpose
    )
    row.fields, row.rate_per_minute = sorted(set(fields)), item.rate_per_minute
    row.consent_fields = sorted(set(consent_fields) - set(fields))
    session.add(row)
    session.flush()
    return row


def get_partner(session: Session, code: str) -> Partner:
    partner = repo.partner_by_code(session, code)
    if partner is None:
        raise NotFound("No such partner", code=_C.PARTNER_NOT_FOUND, field="code")
    return partner


def list_partners(session: Session, *, actor: Actor) -> list[Partner]:
    actor.require(Permission.EXCHANGE_READ)
    return repo.partners(session)


def purposes_of(session: Session, partner: Partner) -> list[PartnerPurpose]:
    return repo.purposes_of(session, partner.id)


def credentials_of(session: Session, partner: Partner) -> list[Credential]:
    return repo.credentials_of(session, partner.id)


def partner_of_client(session: Session, client_id: str) -> Partner | None:
    cred = repo.credential(session, client_id)
    return repo.partner_by_id(session, cred.partner_id) if cred else None


def partner_by_id(session: Session, partner_id: int) -> Partner | None:
    return repo.partner_by_id(session, partner_id)


# -- credentials -------------------------------------------------------------------------


def issue_credential(
    session: Session,
    code: str,
    *,
    actor: Actor,
    jwks: dict[str, Any] | None = None,
    days: int | None = None,
    now: datetime | None = None,
) -> NewCredential:
    """A new client-credentials client for the partner: a secret shown once, or the
    partner's public keys (``private_key_jwt``); it expires after ``days``."""
    actor.require(Permission.EXCHANGE_MANAGE)
    partner = get_partner(session, code)
    now = now or utcnow()
    client_id = f"{partner.code}-{secrets.token_hex(4)}"
    new = oidc_clients.add_client(
        session,
        client_id=client_id,
        name=partner.name,
        auth_method="private_key_jwt" if jwks else "client_secret_basic",
        scopes=[SCOPE],
        grant_types=["client_credentials"],
        jwks=jwks,
    )
    expires = now + timedelta(days=days or get_settings().exchange_credential_days)
    session.add(
        Credential(client_id=client_id, partner_id=partner.id, issued_at=now, expires_at=expires)
    )
    session.flush()
    _bind(session, partner, client_id)
    _audit(session, actor, "exchange.credential_issued", partner, [client_id])
    return NewCredential(client_id, new.secret, expires)


def rotate_credential(
    session: Session,
    client_id: str,
    *,
    actor: Actor,
    jwks: dict[str, Any] | None = None,
    overlap_hours: int | None = None,
    now: datetime | None = None,
) -> NewCredential:
    """A new credential for the same partner; the old one keeps working for the overlap."""
    actor.require(Permission.EXCHANGE_MANAGE)
    now = now or utcnow()
    old = _live_credential(session, client_id, now)
    partner = repo.partner_by_id(session, old.partner_id)
    assert partner is not None  # a foreign key
    new = issue_credential(session, partner.code, actor=actor, jwks=jwks, now=now)
    hours = (
        get_settings().exchange_rotation_overlap_hours if overlap_hours is None else overlap_hours
    )
    old.rotated_at, old.expires_at = now, min(old.expires_at, now + timedelta(hours=hours))
    session.flush()
    _audit(session, actor, "exchange.credential_rotated", partner, [client_id, new.client_id])
    return new


def revoke_credential(session: Session, client_id: str, *, actor: Actor) -> Credential:
    """Refuse the credential at the door from now on."""
    actor.require(Permission.EXCHANGE_MANAGE)
    cred = repo.credential(session, client_id)
    if cred is None:
        raise NotFound("No such credential", code=_C.CREDENTIAL_NOT_FOUND, field="client_id")
    cred.revoked_at = cred.revoked_at or utcnow()
    session.flush()
    partner = repo.partner_by_id(session, cred.partner_id)
    assert partner is not None
    _audit(session, actor, "exchange.credential_revoked", partner, [client_id])
    return cred


def suspend_partner(session: Session, code: str, *, actor: Actor, reason: str) -> Partner:
    """Refuse every credential of the partner at once (until reinstated)."""
    actor.require(Permission.EXCHANGE_MANAGE)
    partner = get_partner(session, code)
    partner.suspended_at = partner.suspended_at or utcnow()
    partner.suspended_reason = reason[:500]
    session.flush()
    _audit(session, actor, "exchange.partner_suspended", partner, [reason[:60]])
    return partner


def reinstate_partner(session: Session, code: str, *, actor: Actor) -> Partner:
    actor.require(Permission.EXCHANGE_MANAGE)
    partner = get_partner(session, code)
    partner.suspended_at, partner.suspended_reason = None, None
    session.flush()
    _audit(session, actor, "exchange.partner_reinstated", partner, [])
    return partner


def _live_credential(session: Session, client_id: str, now: datetime) -> Credential:
    cred = repo.credential(session, client_id)
    if cred is None:
        raise NotFound("No such credential", code=_C.CREDENTIAL_NOT_FOUND, field="client_id")
    if cred.revoked_at is not None or cred.expires_at <= now:
        raise Conflict("The credential is no longer live", code=_C.CREDENTIAL_REVOKED)
    return cred


def _bind(session: Session, partner: Partner, client_id: str) -> None:
    oidc_partners.bind_partner(
        session,
        client_id,
        roles=[Role.EXCHANGE_PARTNER.value],
        nationwide=True,
        organization=partner.name,
        purposes=[p.purpose for p in repo.purposes_of(session, partner.id)],
    )


def _rebind(session: Session, partner: Partner) -> None:
    for cred in repo.credentials_of(session, partner.id):
        _bind(session, partner, cred.client_id)


def _audit(
    session: Session, actor: Actor, action: str, partner: Partner, fields: list[str]
) -> None:
    audit.record(
        session,
        actor,
        action=action,
        subject_type="exchange_partner",
        subject_id=partner.code,
        purpose="data_maintenance",
        fields=fields,
    )


def default_facility(session: Session) -> Partner | None:
    """The first hospital partner with a facility code (where a newborn's card is
    registered when the birth procedure names none)."""
    return next(
        (p for p in repo.partners(session) if p.kind == "hospital" and p.facility_code), None
    )


def device_context(
    session: Session, partner_id: int, device: str, purpose: str, fields: Iterable[str]
) -> PartnerContext:
    """The context of a partner's own device (a kiosk) that has no OIDC client: the same
    checks as ``authorize`` but the credential (suspension, purpose, fields, rate limit)."""
    partner = repo.partner_by_id(session, partner_id)
    if partner is None or partner.suspended_at is not None:
        raise Forbidden("The partner is suspended", code=_C.PARTNER_SUSPENDED)
    row = repo.purpose_row(session, partner.id, purpose)
    if row is None:
        raise Forbidden(
            "The partner may not use data for this purpose", code=_C.PURPOSE_NOT_GRANTED
        )
    actor = Actor(
        id=f"kiosk:{device}"[:80],
        name=partner.name,
        roles=frozenset({Role.EXCHANGE_PARTNER}),
        organization=partner.name,
        purposes=frozenset({purpose}),
    )
    ctx = PartnerContext(
        partner_id=partner.id,
        partner_code=partner.code,
        partner_name=partner.name,
        kind=partner.kind,
        facility_code=partner.facility_code,
        client_id=f"kiosk:{device}"[:64],
        purpose=purpose,
        actor=actor,
        fields=frozenset(row.fields),
        consent_fields=frozenset(),
    )
    ctx = _asking(ctx, set(fields) & ctx.fields)
    ratelimit.hit(
        partner.code, purpose, per_partner=partner.rate_per_minute, per_purpose=row.rate_per_minute
    )
    return ctx
