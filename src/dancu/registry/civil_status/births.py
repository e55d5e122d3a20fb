"""Registering a birth: the parents checked, the child given a personal ID number and a
place in a parent's household (``citizen.born``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common import adminunits
from dancu.common.access import Actor, Permission
from dancu.common.errors import Conflict, ValidationFailed
from dancu.common.pid import make_pid
from dancu.common.textfold import fold
from dancu.registry import repository as repo
from dancu.registry import validation as rules
from dancu.registry.civil_status.recording import existing_event, record_event, writable_citizen
from dancu.registry.errors import RegistryErrorCode
from dancu.registry.models import Citizen, HouseholdMember
from dancu.registry.schemas import BirthIn, CivilEventOut


def register_birth(
    session: Session,
    data: BirthIn,
    *,
    actor: Actor,
    key: str | None = None,
    today: date | None = None,
) -> CivilEventOut:
    """A newborn enters the registry with a new PID and joins a parent's household."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    if (found := existing_event(session, key, kind="birth", actor=actor)) is not None:
        return found
    rules.valid_birth_date(data.birth_date, today or date.today())
    name = rules.valid_name(data.full_name)
    parents = _parents(session, actor, data)
    commune = rules.valid_commune(data.commune_code or parents[0].commune_code)
    child = _new_child(session, data, name=name, home=parents[0], commune=commune)
    _join_household(session, child, parents)
    details = {"parents": [p.pid for p in parents], "child_name": name}
    return record_event(
        session,
        actor,
        kind="birth",
        citizen=child,
        occurred_on=data.birth_date,
        details=details,
        key=key,
        fields=("pid", "full_name", "birth_date", "sex", "household"),
    )


def _parents(session: Session, actor: Actor, data: BirthIn) -> list[Citizen]:
    """The named parents (mother first), each in the actor's area and older than the child."""
    named = ((data.mother_pid, "mother_pid", "F"), (data.father_pid, "father_pid", "M"))
    parents = []
    for pid, field, sex in named:
        if pid:
            parent = writable_citizen(session, actor, pid, field)
            _check_parent(parent, data.birth_date, field=field, sex=sex)
            parents.append(parent)
    if not parents:
        raise ValidationFailed(
            "A birth names at least one parent",
            code=RegistryErrorCode.BIRTH_NO_PARENT,
            field="mother_pid",
        )
    return parents


def _check_parent(parent: Citizen, birth_date: date, *, field: str, sex: str) -> None:
    if parent.sex != sex:
        raise ValidationFailed(
            "The mother must be a woman and the father a man",
            code=RegistryErrorCode.BIRTH_PARENT_SEX,
            field=field,
        )
    if parent.birth_date >= birth_date:
        raise ValidationFailed(
            "A parent is born after the child",
            code=RegistryErrorCode.BIRTH_PARENT_YOUNGER,
            field="birth_date",
        )


def _new_child(
    session: Session, data: BirthIn, *, name: str, home: Citizen, commune: adminunits.Commune
) -> Citizen:
    child = Citizen(
        pid=_next_pid(session, commune.province_code, data.birth_date, data.sex),
        full_name=name,
        name_folded=fold(name),
        birth_date=data.birth_date,
        sex=data.sex,
        ethnicity=data.ethnicity,
        religion=data.religion,
        nationality="VN",
        place_of_birth=data.place_of_birth or commune.name,
        hometown=home.hometown,
        province_code=commune.province_code,
        commune_code=commune.code,
        address_detail=data.address_detail or home.address_detail,
        status="alive",
        marital_status="single",
    )
    session.add(child)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent birth took the same serial
        raise Conflict(
            "Another birth took this ID number at the same moment; retry",
            code=RegistryErrorCode.BIRTH_PID_TAKEN,
            field="pid",
        ) from exc
    return child


def _next_pid(session: Session, province_code: str, birth_date: date, sex: str) -> str:
    """The next free PID for a birth registered in this province."""
    prefix = make_pid(province_code="0" + province_code, birth_date=birth_date, sex=sex, serial=0)[
        :6
    ]
    return prefix + f"{repo.next_pid_serial(session, prefix):06d}"


def _join_household(session: Session, child: Citizen, parents: list[Citizen]) -> None:
    """The child joins the first parent's household in the child's commune, if there is one."""
    for parent in parents:
        membership = repo.membership_of(session, parent.id)
        household = repo.household_by_id(session, membership.household_id) if membership else None
        if membership and household and household.commune_code == child.commune_code:
            relation = _child_relation(membership.relation)
            session.add(
                HouseholdMember(household_id=household.id, citizen_id=child.id, relation=relation)
            )
            session.flush()
            return


def _child_relation(parent_relation: str) -> str:
    return {"head": "child", "spouse": "child", "child": "grandchild"}.get(parent_relation, "other")
