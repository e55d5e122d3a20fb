"""Registering a change of permanent residence: the citizen moved into a household of the
new commune, a new one if needed (``citizen.moved``)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import Session

from dancu.common import adminunits
from dancu.common.access import Actor, Permission
from dancu.common.errors import InvalidState, ValidationFailed
from dancu.registry import repository as repo
from dancu.registry import validation as rules
from dancu.registry.civil_status.recording import existing_event, record_event, writable_citizen
from dancu.registry.errors import RegistryErrorCode
from dancu.registry.models import Citizen, Household, HouseholdMember
from dancu.registry.schemas import CivilEventOut, ResidenceChangeIn


def register_residence_change(
    session: Session,
    data: ResidenceChangeIn,
    *,
    actor: Actor,
    key: str | None = None,
    today: date | None = None,
) -> CivilEventOut:
    """Move a citizen's permanent residence, into a named household or a new one of their own."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    if (found := existing_event(session, key, kind="residence_change", actor=actor)) is not None:
        return found
    citizen = writable_citizen(session, actor, data.pid)
    if citizen.status != "alive":
        raise InvalidState(
            "A deceased citizen cannot move", code=RegistryErrorCode.RESIDENCE_DECEASED, field="pid"
        )
    rules.valid_event_date(
        data.moved_on,
        birth_date=citizen.birth_date,
        today=today or date.today(),
        field="moved_on",
    )
    commune = rules.valid_commune(data.commune_code)
    old = {"commune_code": citizen.commune_code, "address_detail": citizen.address_detail}
    target, relation = _target_household(session, data, commune)
    _move_membership(session, citizen, target, relation)
    citizen.province_code, citizen.commune_code = commune.province_code, commune.code
    citizen.address_detail = data.address_detail
    new = {"commune_code": commune.code, "household_no": target.household_no}
    return record_event(
        session,
        actor,
        kind="residence_change",
        citizen=citizen,
        occurred_on=data.moved_on,
        details={"from": old, "to": new},
        key=key,
        fields=("permanent_address", "household"),
    )


def _target_household(
    session: Session, data: ResidenceChangeIn, commune: adminunits.Commune
) -> tuple[Household, str]:
    """The named household (in that commune) and the relation, or a new household to head."""
    if not data.household_no:
        return _new_household(session, commune, data.address_detail), "head"
    target = repo.household_by_no(session, data.household_no)
    if target is None or target.commune_code != commune.code:
        raise ValidationFailed(
            "No such household in that commune",
            code=RegistryErrorCode.HOUSEHOLD_NOT_FOUND,
            field="household_no",
        )
    if data.relation == "head" and repo.household_head(session, target.id) is not None:
        raise ValidationFailed(
            "The household already has a head",
            code=RegistryErrorCode.HOUSEHOLD_HEAD_EXISTS,
            field="relation",
        )
    return target, data.relation


def _new_household(session: Session, commune: adminunits.Commune, address: str) -> Household:
    target = Household(
        household_no=f"new-{uuid.uuid4().hex[:16]}",
        province_code=commune.province_code,
        commune_code=commune.code,
        address_detail=address,
    )
    session.add(target)
    session.flush()
    target.household_no = f"{commune.code}{target.id:08d}"
    return target


def _move_membership(session: Session, citizen: Citizen, target: Household, relation: str) -> None:
    membership = repo.membership_of(session, citizen.id)
    if membership is not None:
        session.delete(membership)
        session.flush()
    session.add(HouseholdMember(household_id=target.id, citizen_id=citizen.id, relation=relation))
    session.flush()
