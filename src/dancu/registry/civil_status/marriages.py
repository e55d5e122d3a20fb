"""Registering a marriage and a divorce: the couple checked against the Law on Marriage
and Family (``citizen.married``, ``citizen.divorced``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from dancu.common.access import Actor, Permission
from dancu.common.errors import InvalidState, ValidationFailed
from dancu.registry import repository as repo
from dancu.registry import validation as rules
from dancu.registry.cards import age_on
from dancu.registry.civil_status.recording import existing_event, record_event, writable_citizen
from dancu.registry.errors import RegistryErrorCode
from dancu.registry.models import Citizen
from dancu.registry.schemas import CivilEventOut, DivorceIn, MarriageIn

MIN_MARRIAGE_AGE = {"M": 20, "F": 18}  # Law on Marriage and Family 2014, art. 8


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
    if (found := existing_event(session, key, kind="marriage", actor=actor)) is not None:
        return found
    a = writable_citizen(session, actor, data.pid)
    b = writable_citizen(session, actor, data.spouse_pid, "spouse_pid")
    _check_couple(a, b)
    for person, field in ((a, "pid"), (b, "spouse_pid")):
        _check_can_marry(person, data.married_on, field=field, today=today or date.today())
    a.marital_status = b.marital_status = "married"
    a.spouse_id, b.spouse_id = b.id, a.id
    return record_event(
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
    if (found := existing_event(session, key, kind="divorce", actor=actor)) is not None:
        return found
    a = writable_citizen(session, actor, data.pid)
    b = writable_citizen(session, actor, data.spouse_pid, "spouse_pid")
    if a.spouse_id != b.id:
        raise InvalidState(
            "These two citizens are not married to each other",
            code=RegistryErrorCode.DIVORCE_NOT_MARRIED,
            field="spouse_pid",
        )
    _check_divorce_date(session, a, b, data.divorced_on, today=today or date.today())
    a.marital_status = b.marital_status = "divorced"
    a.spouse_id = b.spouse_id = None
    return record_event(
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
