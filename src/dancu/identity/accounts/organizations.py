"""Organization accounts (agencies, enterprises) and the staff they delegate.

An organization has no level of its own: its legal representative holds a level-2 account
and delegates staff (citizen accounts) with a role, revocable at any time.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.identity.accounts import history
from dancu.identity.accounts.models import Account, Organization, StaffMembership
from dancu.identity.accounts.schemas import OrganizationOut, StaffOut
from dancu.identity.errors import IdentityErrorCode

KINDS = ("agency", "enterprise")


def _add_unique(session: Session, row: object, code: str, message: str) -> None:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(message, code=code) from exc


def create(
    session: Session, *, kind: str, code: str, name: str, representative: Account
) -> OrganizationOut:
    if kind not in KINDS:
        raise ValidationFailed(
            "agency or enterprise", code=IdentityErrorCode.ORG_KIND, field="kind"
        )
    if representative.status != "active" or representative.level != 2:
        raise Forbidden(
            "The legal representative needs a level-2 account",
            code=IdentityErrorCode.REPRESENTATIVE_LEVEL,
            field="representative",
        )
    org = Organization(
        kind=kind, code=code.strip(), name=name.strip(), representative_id=representative.id
    )
    _add_unique(session, org, "identity.org_exists", "An organization with this code exists")
    return OrganizationOut.model_validate(org)


def _org_led_by(session: Session, organization_id: int, by: Account) -> Organization:
    org = session.get(Organization, organization_id)
    if org is None or org.status != "active":
        raise NotFound("No such organization", code=IdentityErrorCode.ORG_UNKNOWN)
    if org.representative_id != by.id or by.level != 2 or by.status != "active":
        raise Forbidden(
            "Only the legal representative manages staff", code=IdentityErrorCode.NOT_REPRESENTATIVE
        )
    return org


def grant_staff(
    session: Session, organization_id: int, staff: Account, role: str, *, by: Account
) -> StaffOut:
    """The representative delegates a citizen account to act for the organization."""
    org = _org_led_by(session, organization_id, by)
    if staff.status != "active" or staff.kind != "citizen":
        raise InvalidState("The account is not active", code=IdentityErrorCode.ACCOUNT_INACTIVE)
    member = StaffMembership(
        organization_id=org.id, account_id=staff.id, role=role.strip()[:40], granted_by=by.id
    )
    _add_unique(session, member, "identity.staff_exists", "Already on the staff")
    history.add(session, staff.id, "staff_granted", organization=org.code, role=member.role)
    return StaffOut.model_validate(member)


def revoke_staff(session: Session, membership_id: int, *, by: Account) -> StaffOut:
    member = session.get(StaffMembership, membership_id)
    if member is None or member.revoked_at is not None:
        raise NotFound("No such staff delegation", code=IdentityErrorCode.STAFF_UNKNOWN)
    org = _org_led_by(session, member.organization_id, by)
    member.revoked_at = utcnow()
    history.add(session, member.account_id, "staff_revoked", organization=org.code)
    session.flush()
    return StaffOut.model_validate(member)


def memberships_of(session: Session, account_id: int) -> list[StaffOut]:
    """The organizations an account acts for now (revoked delegations excluded)."""
    stmt = (
        select(StaffMembership)
        .where(StaffMembership.account_id == account_id, StaffMembership.revoked_at.is_(None))
        .order_by(StaffMembership.id)
    )
    return [StaffOut.model_validate(m) for m in session.scalars(stmt)]
