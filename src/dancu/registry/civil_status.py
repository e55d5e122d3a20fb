"""Civil-status events: each updates the citizen in the same transaction, is audited and
emits an outbox event (``citizen.born``, ``citizen.died``, ``citizen.married``,
``citizen.divorced``, ``citizen.moved``).

Writes that a client may retry take an idempotency key: the same key returns the event
already recorded instead of recording it twice.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dancu.common import audit, outbox
from dancu.common.access import Actor, Permission
from dancu.common.errors import InvalidState, NotFound, ValidationFailed
from dancu.common.pid import make_pid
from dancu.common.textfold import fold
from dancu.registry import repository as repo
from dancu.registry import validation as rules
from dancu.registry.cards import age_on
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


def _existing(session: Session, key: str | None) -> CivilEventOut | None:
    if not key:
        return None
    event = session.scalars(select(CivilEvent).where(CivilEvent.idempotency_key == key)).first()
    return _out(session, event) if event else None


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
    clean = rules.valid_pid(pid)
    citizen = repo.citizen_by_pid_for_update(session, actor, clean)
    if citizen is None:
        raise NotFound("No citizen with this ID number", code="citizen.not_found", field=field)
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
    session.flush()
    subjects = [citizen.pid] + ([other.pid] if other else [])
    audit.record_many(
        session,
        actor,
        action=f"civil_status.{kind}",
        subject_type="citizen",
        subject_ids=subjects,
        purpose="civil_status",
        fields=fields,
    )
    topic = {"residence_change": "citizen.moved"}.get(kind, f"citizen.{_past(kind)}")
    outbox.emit(session, topic, {"event_id": event.id, "pid": citizen.pid, **details})
    return _out(session, event)


def _past(kind: str) -> str:
    return {"birth": "born", "death": "died", "marriage": "married", "divorce": "divorced"}[kind]


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
    if (found := _existing(session, key)) is not None:
        return found
    today = today or date.today()
    rules.valid_birth_date(data.birth_date, today)
    name = rules.valid_name(data.full_name)
    parents = [
        _writable(session, actor, pid, field)
        for pid, field in ((data.mother_pid, "mother_pid"), (data.father_pid, "father_pid"))
        if pid
    ]
    if not parents:
        raise ValidationFailed(
            "A birth names at least one parent", code="birth.no_parent", field="mother_pid"
        )
    for parent in parents:
        if parent.birth_date >= data.birth_date:
            raise ValidationFailed(
                "A parent is born after the child", code="birth.parent_younger", field="birth_date"
            )
    home = parents[0]
    commune = rules.valid_commune(data.commune_code or home.commune_code)
    child = Citizen(
        pid="pending",
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
    session.flush()
    # The next free serial for this prefix; the unique constraint guards a concurrent birth.
    prefix = make_pid(
        province_code="0" + commune.province_code,
        birth_date=data.birth_date,
        sex=data.sex,
        serial=0,
    )[:6]
    child.pid = prefix + f"{repo.next_pid_serial(session, prefix):06d}"
    membership = repo.membership_of(session, home.id)
    if membership is not None:
        session.add(
            HouseholdMember(
                household_id=membership.household_id,
                citizen_id=child.id,
                relation=_child_relation(membership.relation),
            )
        )
    session.flush()
    details = {"parents": [p.pid for p in parents], "child_name": name}
    return _record(
        session, actor, kind="birth", citizen=child, occurred_on=data.birth_date,
        details=details, key=key, fields=("pid", "full_name", "birth_date", "sex", "household"),
    )  # fmt: skip


def _child_relation(parent_relation: str) -> str:
    return {"head": "child", "spouse": "child", "child": "grandchild"}.get(parent_relation, "other")


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
    if (found := _existing(session, key)) is not None:
        return found
    today = today or date.today()
    citizen = _writable(session, actor, data.pid)
    if citizen.status == "deceased":
        raise InvalidState("The death is already registered", code="death.already_registered")
    rules.valid_event_date(
        data.death_date, birth_date=citizen.birth_date, today=today, field="death_date"
    )
    citizen.status = "deceased"
    citizen.death_date = data.death_date
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
    return _record(
        session, actor, kind="death", citizen=citizen, occurred_on=data.death_date,
        details={"cause": data.cause} if data.cause else {}, key=key,
        fields=("status", "death_date", "marital_status", "id_card"),
    )  # fmt: skip


def register_marriage(
    session: Session,
    data: MarriageIn,
    *,
    actor: Actor,
    key: str | None = None,
    today: date | None = None,
) -> CivilEventOut:
    actor.require(Permission.CIVIL_STATUS_RECORD)
    if (found := _existing(session, key)) is not None:
        return found
    today = today or date.today()
    a = _writable(session, actor, data.pid)
    b = _writable(session, actor, data.spouse_pid, "spouse_pid")
    if a.id == b.id:
        raise ValidationFailed(
            "A person cannot marry themselves", code="marriage.same_person", field="spouse_pid"
        )
    if a.sex == b.sex:
        raise ValidationFailed(
            "Marriage registration requires a man and a woman (Law on Marriage and Family 2014)",
            code="marriage.same_sex", field="spouse_pid",
        )  # fmt: skip
    for person, field in ((a, "pid"), (b, "spouse_pid")):
        rules.valid_event_date(
            data.married_on, birth_date=person.birth_date, today=today, field="married_on"
        )
        if person.status != "alive":
            raise InvalidState(
                "A deceased person cannot marry", code="marriage.deceased", field=field
            )
        if person.marital_status == "married":
            raise InvalidState("Already married", code="marriage.already_married", field=field)
        if age_on(person.birth_date, data.married_on) < MIN_MARRIAGE_AGE[person.sex]:
            raise ValidationFailed(
                f"Under the minimum marriage age ({MIN_MARRIAGE_AGE[person.sex]})",
                code="marriage.under_age", field=field,
            )  # fmt: skip
    a.marital_status = b.marital_status = "married"
    a.spouse_id, b.spouse_id = b.id, a.id
    return _record(
        session, actor, kind="marriage", citizen=a, other=b, occurred_on=data.married_on,
        details={"spouse_pid": b.pid}, key=key, fields=("marital_status", "spouse"),
    )  # fmt: skip


def register_divorce(
    session: Session,
    data: DivorceIn,
    *,
    actor: Actor,
    key: str | None = None,
    today: date | None = None,
) -> CivilEventOut:
    actor.require(Permission.CIVIL_STATUS_RECORD)
    if (found := _existing(session, key)) is not None:
        return found
    today = today or date.today()
    a = _writable(session, actor, data.pid)
    b = _writable(session, actor, data.spouse_pid, "spouse_pid")
    if a.spouse_id != b.id:
        raise InvalidState(
            "These two citizens are not married to each other",
            code="divorce.not_married",
            field="spouse_pid",
        )
    rules.valid_event_date(
        data.divorced_on,
        birth_date=max(a.birth_date, b.birth_date),
        today=today,
        field="divorced_on",
    )
    a.marital_status = b.marital_status = "divorced"
    a.spouse_id = b.spouse_id = None
    return _record(
        session, actor, kind="divorce", citizen=a, other=b, occurred_on=data.divorced_on,
        details={"spouse_pid": b.pid}, key=key, fields=("marital_status", "spouse"),
    )  # fmt: skip


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
    if (found := _existing(session, key)) is not None:
        return found
    today = today or date.today()
    citizen = _writable(session, actor, data.pid)
    if citizen.status != "alive":
        raise InvalidState("A deceased citizen cannot move", code="residence.deceased")
    rules.valid_event_date(
        data.moved_on, birth_date=citizen.birth_date, today=today, field="moved_on"
    )
    commune = rules.valid_commune(data.commune_code)
    old = {"commune_code": citizen.commune_code, "address_detail": citizen.address_detail}
    if data.household_no:
        target = repo.household_by_no(session, data.household_no)
        if target is None or target.commune_code != commune.code:
            raise ValidationFailed(
                "No such household in that commune",
                code="household.not_found",
                field="household_no",
            )
        relation = data.relation
    else:
        target = Household(
            household_no=f"new-{uuid.uuid4().hex[:16]}", province_code=commune.province_code,
            commune_code=commune.code, address_detail=data.address_detail,
        )  # fmt: skip
        session.add(target)
        session.flush()
        target.household_no = f"{commune.code}{target.id:08d}"
        relation = "head"
    membership = repo.membership_of(session, citizen.id)
    if membership is not None:
        session.delete(membership)
        session.flush()
    session.add(HouseholdMember(household_id=target.id, citizen_id=citizen.id, relation=relation))
    citizen.province_code, citizen.commune_code = commune.province_code, commune.code
    citizen.address_detail = data.address_detail
    new = {"commune_code": commune.code, "household_no": target.household_no}
    return _record(
        session, actor, kind="residence_change", citizen=citizen, occurred_on=data.moved_on,
        details={"from": old, "to": new}, key=key, fields=("permanent_address", "household"),
    )  # fmt: skip
