"""Officer roles (audited grants, the Actor they build) and organization accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR, Permission, Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dancu.identity.accounts import officers, organizations
from dancu.identity.accounts.models import Organization
from tests.conftest import COMMUNE, PROVINCE, make_actor
from tests.identity.helpers import active_account, citizen, level2_account


def test_grants_build_the_actor_and_are_audited(session: Session) -> None:
    account = active_account(session, citizen(session))
    bare = officers.actor_for(session, account)
    assert bare.roles == frozenset() and not bare.can(Permission.CITIZEN_READ)
    police = officers.grant_role(
        session, account, Role.POLICE, COMMUNE, organization="Công an xã", actor=SYSTEM_ACTOR
    )
    officers.grant_role(session, account, Role.REGISTRY_CLERK, COMMUNE, actor=SYSTEM_ACTOR)
    actor = officers.actor_for(session, account)
    assert actor.roles == {Role.POLICE, Role.REGISTRY_CLERK}
    assert actor.units == (COMMUNE,) and actor.organization == "Công an xã"
    assert actor.covers(PROVINCE, COMMUNE) and not actor.covers(PROVINCE, "22015")
    with pytest.raises(Conflict):
        officers.grant_role(session, account, Role.POLICE, COMMUNE, actor=SYSTEM_ACTOR)
    officers.revoke_role(session, police.id, actor=SYSTEM_ACTOR)
    assert officers.actor_for(session, account).roles == {Role.REGISTRY_CLERK}
    with pytest.raises(NotFound):
        officers.revoke_role(session, police.id, actor=SYSTEM_ACTOR)
    actions = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.subject_id == account.citizen_pid)
        .where(AuditEntry.action.like("identity.role_%"))
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["identity.role_granted"] * 2 + ["identity.role_revoked"]


def test_only_an_administrator_grants_and_units_must_exist(session: Session) -> None:
    account = active_account(session, citizen(session))
    clerk = make_actor(Role.REGISTRY_CLERK, Role.POLICE)
    with pytest.raises(Forbidden):
        officers.grant_role(session, account, Role.POLICE, COMMUNE, actor=clerk)
    with pytest.raises(ValidationFailed):
        officers.grant_role(session, account, Role.POLICE, "99999", actor=SYSTEM_ACTOR)
    assert officers.roles_of(session, account.id) == []


def test_nationwide_grant_gives_no_units(session: Session) -> None:
    account = active_account(session, citizen(session))
    officers.grant_role(session, account, Role.STEERING_VIEWER, "", actor=SYSTEM_ACTOR)
    officers.grant_role(session, account, Role.STEERING_VIEWER, PROVINCE, actor=SYSTEM_ACTOR)
    assert officers.actor_for(session, account).nationwide


def test_organization_representative_must_hold_level_2(session: Session) -> None:
    level1 = active_account(session, citizen(session))
    with pytest.raises(Forbidden) as caught:
        organizations.create(
            session, kind="enterprise", code="0101234567", name="Công ty A", representative=level1
        )
    assert caught.value.code == "identity.representative_level"
    assert session.scalar(select(Organization.id)) is None
    rep = level2_account(session, citizen(session, "Đỗ Thị Mai", sex="F"))
    org = organizations.create(
        session, kind="enterprise", code="0101234567", name="Công ty A", representative=rep
    )
    assert org.representative_id == rep.id
    with pytest.raises(Conflict):
        organizations.create(
            session, kind="agency", code="0101234567", name="Công ty B", representative=rep
        )


def test_staff_delegation_and_revocation(session: Session) -> None:
    rep = level2_account(session, citizen(session, "Đỗ Thị Mai", sex="F"))
    staff = active_account(session, citizen(session, "Vũ Văn Tài"))
    org = organizations.create(
        session, kind="agency", code="UBND-24121", name="UBND xã", representative=rep
    )
    with pytest.raises(Forbidden):  # the staff member cannot delegate themselves
        organizations.grant_staff(session, org.id, staff, "clerk", by=staff)
    member = organizations.grant_staff(session, org.id, staff, "clerk", by=rep)
    assert [m.organization_id for m in organizations.memberships_of(session, staff.id)] == [org.id]
    with pytest.raises(Conflict):
        organizations.grant_staff(session, org.id, staff, "clerk", by=rep)
    with pytest.raises(Forbidden):
        organizations.revoke_staff(session, member.id, by=staff)
    organizations.revoke_staff(session, member.id, by=rep)
    assert organizations.memberships_of(session, staff.id) == []
    with pytest.raises(NotFound):
        organizations.revoke_staff(session, member.id, by=rep)
    again = organizations.grant_staff(session, org.id, staff, "accountant", by=rep)
    assert again.id != member.id and again.role == "accountant"
