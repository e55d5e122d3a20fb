"""Officers: citizens' accounts holding roles over administrative units (audited grants).

An officer's ``Actor`` carries the union of their live roles and the union of their units;
a role granted over a unit therefore applies to every unit the officer holds (keep one
officer's roles within the same area, as the demo does).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit
from dancu.common.access import Actor, Role
from dancu.common.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.identity.accounts import history
from dancu.identity.accounts.models import Account, OfficerRole
from dancu.identity.accounts.schemas import OfficerRoleOut
from dancu.identity.errors import IdentityErrorCode


def live_roles(session: Session, account_id: int) -> list[OfficerRole]:
    stmt = (
        select(OfficerRole)
        .where(OfficerRole.account_id == account_id, OfficerRole.revoked_at.is_(None))
        .order_by(OfficerRole.id)
    )
    return list(session.scalars(stmt))


def actor_for(session: Session, account: Account) -> Actor:
    """The Actor an account acts as: its officer roles, their units, their organization."""
    grants = live_roles(session, account.id)
    roles = frozenset(Role(g.role) for g in grants)
    units: list[str] = []
    nationwide = any(g.unit_code == "" for g in grants)
    if not nationwide:
        for g in grants:
            if g.unit_code not in units:
                units.append(g.unit_code)
    organization = next((g.organization for g in grants if g.organization), "")
    return Actor(
        id=f"account:{account.id}",
        name=account.display_name,
        roles=roles,
        units=tuple(units),
        organization=organization,
    )


def _may_grant(actor: Actor) -> None:
    if Role.SYSTEM not in actor.roles:
        raise Forbidden(
            "Only an administrator grants officer roles", code=IdentityErrorCode.NOT_ADMIN
        )


def _valid_unit(unit_code: str) -> str:
    if unit_code == "":
        return unit_code
    known = (
        adminunits.find_commune(unit_code)
        if len(unit_code) == 5
        else next((p for p in adminunits.provinces() if p.code == unit_code), None)
    )
    if known is None:
        raise ValidationFailed(
            "Unknown unit", code=IdentityErrorCode.UNIT_UNKNOWN, field="unit_code"
        )
    return unit_code


def grant_role(
    session: Session,
    account: Account,
    role: Role,
    unit_code: str,
    *,
    organization: str = "",
    actor: Actor,
) -> OfficerRole:
    """Give an active citizen account an officer role over a unit ('' = nationwide)."""
    _may_grant(actor)
    if account.status != "active" or account.kind != "citizen":
        raise InvalidState("The account is not active", code=IdentityErrorCode.ACCOUNT_INACTIVE)
    grant = OfficerRole(
        account_id=account.id,
        role=Role(role).value,
        unit_code=_valid_unit(unit_code),
        organization=organization,
        granted_by=actor.id,
    )
    try:
        with session.begin_nested():
            session.add(grant)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("The role is already granted", code=IdentityErrorCode.ROLE_EXISTS) from exc
    audit.record(
        session,
        actor,
        action="identity.role_granted",
        subject_type="citizen",
        subject_id=account.citizen_pid,
        purpose="data_maintenance",
        fields=(f"role:{grant.role}", f"unit:{grant.unit_code or '*'}"),
    )
    history.add(session, account.id, "role_granted", role=grant.role, unit=grant.unit_code)
    return grant


def revoke_role(session: Session, grant_id: int, *, actor: Actor) -> OfficerRole:
    _may_grant(actor)
    grant = session.get(OfficerRole, grant_id)
    if grant is None or grant.revoked_at is not None:
        raise NotFound("No such live role", code=IdentityErrorCode.ROLE_UNKNOWN)
    grant.revoked_at, grant.revoked_by = utcnow(), actor.id
    account = session.get(Account, grant.account_id)
    assert account is not None
    audit.record(
        session,
        actor,
        action="identity.role_revoked",
        subject_type="citizen",
        subject_id=account.citizen_pid,
        purpose="data_maintenance",
        fields=(f"role:{grant.role}", f"unit:{grant.unit_code or '*'}"),
    )
    history.add(session, account.id, "role_revoked", role=grant.role, unit=grant.unit_code)
    session.flush()
    return grant


def roles_of(session: Session, account_id: int) -> list[OfficerRoleOut]:
    return [OfficerRoleOut.model_validate(g) for g in live_roles(session, account_id)]


def all_live_grants(session: Session) -> list[tuple[OfficerRole, Account]]:
    """Every live officer grant with its account (the exchange's access-hygiene page)."""
    stmt = (
        select(OfficerRole, Account)
        .join(Account, Account.id == OfficerRole.account_id)
        .where(OfficerRole.revoked_at.is_(None))
        .order_by(OfficerRole.organization, Account.id, OfficerRole.id)
    )
    return [(g, a) for g, a in session.execute(stmt)]
