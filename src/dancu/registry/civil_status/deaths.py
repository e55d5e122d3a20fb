"""Registering a death: the citizen marked deceased and a surviving spouse widowed
(``citizen.died``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlalchemy.orm import Session

from dancu.common.access import Actor, Permission
from dancu.common.errors import InvalidState
from dancu.registry import repository as repo
from dancu.registry import validation as rules
from dancu.registry.civil_status.recording import existing_event, record_event, writable_citizen
from dancu.registry.errors import RegistryErrorCode
from dancu.registry.models import Citizen, IdCard
from dancu.registry.schemas import CivilEventOut, DeathIn


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
    if (found := existing_event(session, key, kind="death", actor=actor)) is not None:
        return found
    citizen = writable_citizen(session, actor, data.pid)
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
    return record_event(
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
