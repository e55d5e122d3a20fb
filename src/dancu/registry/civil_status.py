"""Civil-status events: each updates the citizen in the same transaction, is audited and
emits an outbox event (``citizen.born``, ``citizen.died``, ``citizen.married``,
``citizen.divorced``, ``citizen.moved``).

Writes that a client may retry take an idempotency key: the same key, from the same officer
for the same kind of event, returns the event already recorded instead of recording it twice;
a key reused for anything else is refused (409 ``idempotency.key_reused``).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit, outbox
from dancu.common.access import Actor, Permission
from dancu.common.errors import Conflict, ErrorCode, InvalidState, NotFound, ValidationFailed
from dancu.common.pid import make_pid
from dancu.common.textfold import fold
from dancu.registry import events
from dancu.registry import repository as repo
from dancu.registry import validation as rules
from dancu.registry.cards import age_on
from dancu.registry.errors import RegistryErrorCode
from dancu.registry.models import Citizen, CivilEvent, Household, HouseholdMember, IdCard
from dancu.registry.schemas import (
    BirthIn,
    CivilEventOut,
    DeathIn,
    DivorceIn,
    MarriageIn,
    ResidenceChangeIn,
)

MIN_MARRIAGE_AGE = {"M": 20, "F": 18}  # Law on Marriage and Family 2014, art. 8
KEY_FIELD = "Idempotency-Key"


# --- Shared steps ---------------------------------------------------------------------------


def _existing(
    session: Session, key: str | None, *, kind: str, actor: Actor
) -> CivilEventOut | None:
    """The event already recorded under ``key`` (a retry), if any."""
    if not key:
        return None
    event = session.scalars(select(CivilEvent).where(CivilEvent.idempotency_key == key)).first()
    if event is None:
        return None
    if event.kind != kind or event.registered_by != actor.id:
        raise Conflict(
            "This idempotency key was already used for another request",
            code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
            field=KEY_FIELD,
        )
    return _out(session, event)


def _out(session: Session, event: CivilEvent) -> CivilEventOut:
    pid = repo.citizen_pids(session, [event.citizen_id])[event.citizen_id]
    return CivilEventOut(
        id=event.id,
        kind=event.kind,
        occurred_on=event.occurred_on,
        registered_at=event.registered_at,
        registered_by=event.registered_by,
        citizen_pid=pid,
        details=dict(event.details or {}),
    )


def _writable(session: Session, actor: Actor, pid: str, field: str = "pid") -> Citizen:
    """The citizen in the actor's area, locked for the change (404 outside it)."""
    try:
        clean = rules.valid_pid(pid)
    except ValidationFailed as exc:
        exc.field = field
        raise
    citizen = repo.citizen_by_pid_for_update(session, actor, clean)
    if citizen is None:
        raise NotFound(
            "No citizen with this ID number", code=RegistryErrorCode.CITIZEN_NOT_FOUND, field=field
        )
    return citizen


def _record(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    citizen: Citizen,
    occurred_on: date,
    details: dict[str, Any],
    key: str | None,
    other: Citizen | None = None,
    fields: tuple[str, ...],
) -> CivilEventOut:
    """Write the event, its audit entries and its outbox message (one transaction)."""
    event = CivilEvent(
        kind=kind,
        citizen_id=citizen.id,
        other_citizen_id=other.id if other else None,
        occurred_on=occurred_on,
        details=details,
        registered_by=actor.id,
        idempotency_key=key,
    )
    session.add(event)
    _flush_event(session, key)
    audit.record_many(
        session,
        actor,
        action=f"civil_status.{kind}",
        subject_type="citizen",
        subject_ids=[citizen.pid] + ([other.pid] if other else []),
        purpose="civil_status",
        fields=fields,
    )
    outbox.emit(
        session,
        events.CIVIL_STATUS_TOPICS[kind],
        {"event_id": event.id, "pid": citizen.pid, **details},
    )
    return _out(session, event)


def _flush_event(session: Session, key: str | None) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent request with the same key committed first
        if not key:
            raise
        raise Conflict(
            "A request with this idempotency key is already being processed",
            code=ErrorCode.IDEMPOTENCY_IN_PROGRESS,
            field=KEY_FIELD,
        ) from exc


# --- Birth ----------------------------------------------------------------------------------


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
    if (found := _existing(session, key, kind="birth", actor=actor)) is not None:
        return found
    rules.valid_birth_date(data.birth_date, today or date.today())
    name = rules.valid_name(data.full_name)
    parents = _parents(session, actor, data)
    commune = rules.valid_commune(data.commune_code or parents[0].commune_code)
    child = _new_child(session, data, name=name, home=parents[0], commune=commune)
    _join_household(session, child, parents)
    details = {"parents": [p.pid for p in parents], "child_name": name}
    return _record(
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
            parent = _writable(session, actor, pid, field)
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


# --- Death ----------------------------------------------------------------------------------


def register_death(
    session: Session,
    data: DeathIn,
    *,
    actor: Actor,
    key: str | None = None,
    today: date | None = None,
) -> CivilEventOut:
    """The citizen becomes deceased; the spouse becomes widowed; open cards are revoked."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    if (found := _existing(session, key, kind="death", actor=actor)) is not None:
        return found
    citizen = _writable(session, actor, data.pid)
    if citizen.status == "deceased":
        raise InvalidState(
            "The death is already registered",
            code=RegistryErrorCode.DEATH_ALREADY_REGISTERED,
            field="pid",
        )
    rules.valid_event_date(
        data.death_date,
        birth_date=citizen.birth_date,
        today=today or date.today(),
        field="death_date",
    )
    _mark_deceased(session, citizen, data.death_date)
    return _record(
        session,
        actor,
        kind="death",
        citizen=citizen,
        occurred_on=data.death_date,
        details={"cause": data.cause} if data.cause else {},
        key=key,
        fields=("status", "death_date", "marital_status", "id_card"),
    )


def _mark_deceased(session: Session, citizen: Citizen, death_date: date) -> None:
    citizen.status = "deceased"
    citizen.death_date = death_date
    if citizen.spouse_id:
        session.execute(
            update(Citizen)
            .where(Citizen.id == citizen.spouse_id)
            .values(marital_status="widowed", spouse_id=None)
        )
        citizen.spouse_id = None
    session.execute(
        update(IdCard)
        .where(IdCard.citizen_id == citizen.id, IdCard.status.in_(repo.ACTIVE_CARD_STATES))
        .values(status="revoked", closed_reason="holder deceased")
    )


# --- Marriage and divorce -------------------------------------------------------------------


def register_marriage(
    session: Session,
    data: MarriageIn,
    *,
    actor: Actor,
    key: str | None = None,
    today: date | None = None,
) -> CivilEventOut:
    """Two living, unmarried adults of opposite sex become each other's spouse."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    if (found := _existing(session, key, kind="marriage", actor=actor)) is not None:
        return found
    a = _writable(session, actor, data.pid)
    b = _writable(session, actor, data.spouse_pid, "spouse_pid")
    _check_couple(a, b)
    for person, field in ((a, "pid"), (b, "spouse_pid")):
        _check_can_marry(person, data.married_on, field=field, today=today or date.today())
    a.marital_status = b.marital_status = "married"
    a.spouse_id, b.spouse_id = b.id, a.id
    return _record(
        session,
        actor,
        kind="marriage",
        citizen=a,
        other=b,
        occurred_on=data.married_on,
        details={"spouse_pid": b.pid},
        key=key,
        fields=("marital_status", "spouse"),
    )


def _check_couple(a: Citizen, b: Citizen) -> None:
    if a.id == b.id:
        raise ValidationFailed(
            "A person cannot marry themselves",
            code=RegistryErrorCode.MARRIAGE_SAME_PERSON,
            field="spouse_pid",
        )
    if a.sex == b.sex:
        raise ValidationFailed(
            "Marriage registration requires a man and a woman (Law on Marriage and Family 2014)",
            code=RegistryErrorCode.MARRIAGE_SAME_SEX,
            field="spouse_pid",
        )


def _check_can_marry(person: Citizen, married_on: date, *, field: str, today: date) -> None:
    rules.valid_event_date(
        married_on, birth_date=person.birth_date, today=today, field="married_on"
    )
    if person.status != "alive":
        raise InvalidState(
            "A deceased person cannot marry", code=RegistryErrorCode.MARRIAGE_DECEASED, field=field
        )
    if person.marital_status == "married":
        raise InvalidState(
            "Already married", code=RegistryErrorCode.MARRIAGE_ALREADY_MARRIED, field=field
        )
    minimum = MIN_MARRIAGE_AGE[person.sex]
    if age_on(person.birth_date, married_on) < minimum:
        raise ValidationFailed(
            f"Under the minimum marriage age ({minimum})",
            code=RegistryErrorCode.MARRIAGE_UNDER_AGE,
            field=field,
        )


def register_divorce(
    session: Session,
    data: DivorceIn,
    *,
    actor: Actor,
    key: str | None = None,
    today: date | None = None,
) -> CivilEventOut:
    """A married couple becomes divorced (recorded after the court's decision)."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    if (found := _existing(session, key, kind="divorce", actor=actor)) is not None:
        return found
    a = _writable(session, actor, data.pid)
    b = _writable(session, actor, data.spouse_pid, "spouse_pid")
    if a.spouse_id != b.id:
        raise InvalidState(
            "These two citizens are not married to each other",
            code=RegistryErrorCode.DIVORCE_NOT_MARRIED,
            field="spouse_pid",
        )
    _check_divorce_date(session, a, b, data.divorced_on, today=today or date.today())
    a.marital_status = b.marital_status = "divorced"
    a.spouse_id = b.spouse_id = None
    return _record(
        session,
        actor,
        kind="divorce",
        citizen=a,
        other=b,
        occurred_on=data.divorced_on,
        details={"spouse_pid": b.pid},
        key=key,
        fields=("marital_status", "spouse"),
    )


def _check_divorce_date(
    session: Session, a: Citizen, b: Citizen, day: date, *, today: date
) -> None:
    birth = max(a.birth_date, b.birth_date)
    rules.valid_event_date(day, birth_date=birth, today=today, field="divorced_on")
    married_on = repo.marriage_date(session, a.id, b.id)
    if married_on is not None and day < married_on:
        raise ValidationFailed(
            "The divorce is dated before the marriage",
            code=RegistryErrorCode.DIVORCED_ON_BEFORE_MARRIAGE,
            field="divorced_on",
        )


# --- Residence ------------------------------------------------------------------------------


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
    if (found := _existing(session, key, kind="residence_change", actor=actor)) is not None:
        return found
    citizen = _writable(session, actor, data.pid)
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
    return _record(
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
