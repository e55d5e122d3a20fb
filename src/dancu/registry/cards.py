"""Chip ID-card rules (Law on Identification 2023, art. 21): when a card expires.

A card must be renewed when its holder turns 14, 25, 40 and 60. A card issued within the
two years before one of those ages stays valid until the next one; a card issued at 58 or
later never expires.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common import audit, outbox
from dancu.common.access import Actor, Permission
from dancu.common.errors import Conflict, InvalidState, NotFound, ValidationFailed
from dancu.registry import events
from dancu.registry import repository as repo
from dancu.registry import validation as rules
from dancu.registry.errors import RegistryErrorCode
from dancu.registry.models import Citizen, IdCard
from dancu.registry.schemas import CardApplicationIn, CardOut

RENEWAL_AGES = (14, 25, 40, 60)
GRACE_YEARS = 2
EXPIRY_WARNING_DAYS = 30  # an issued card this close to its expiry is flagged "expiring"


def birthday_at(birth_date: date, age: int) -> date:
    """The date on which someone born on ``birth_date`` turns ``age`` (29 Feb -> 1 Mar)."""
    try:
        return birth_date.replace(year=birth_date.year + age)
    except ValueError:
        return date(birth_date.year + age, 3, 1)


def age_on(birth_date: date, on: date) -> int:
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def card_expiry(birth_date: date, issued_on: date) -> date | None:
    """The expiry of a card issued on ``issued_on``; None when it is valid for life."""
    for age in RENEWAL_AGES:
        milestone = birthday_at(birth_date, age)
        if issued_on < birthday_at(birth_date, age - GRACE_YEARS):
            return milestone
    return None


def validity(status: str, expires_on: date | None, today: date) -> str | None:
    """How an issued card stands on ``today``: "expired" (the expiry date has come),
    "expiring" (within ``EXPIRY_WARNING_DAYS``), or "valid"; None for a card not in use."""
    if status != "issued":
        return None
    if expires_on is None:
        return "valid"
    days_left = (expires_on - today).days
    if days_left <= 0:
        return "expired"
    return "expiring" if days_left <= EXPIRY_WARNING_DAYS else "valid"


# --- The card lifecycle (use cases) ---------------------------------------------------------

_TRANSITIONS = {
    "produce": (("applied",), "produced"),
    "issue": (("produced",), "issued"),
    "report_lost": (("issued",), "lost"),
    "revoke": (("applied", "produced", "issued"), "revoked"),
}


def apply_for_card(
    session: Session, data: CardApplicationIn, *, actor: Actor, today: date | None = None
) -> CardOut:
    """A card application at the citizen's commune; at most one open card per citizen."""
    actor.require(Permission.CARD_MANAGE)
    today = today or date.today()
    citizen = _card_holder(session, actor, data.pid)
    if citizen.status != "alive":
        raise InvalidState(
            "The citizen is deceased", code=RegistryErrorCode.CARD_HOLDER_DECEASED, field="pid"
        )
    applied_on = data.applied_on or today
    if applied_on > today or applied_on < citizen.birth_date:
        raise ValidationFailed(
            "Impossible application date", code=RegistryErrorCode.CARD_DATE, field="applied_on"
        )
    previous = _close_previous(session, citizen, data.reason, applied_on)
    card = IdCard(
        citizen_id=citizen.id,
        card_no=citizen.pid,
        serial=f"tmp-{uuid.uuid4().hex[:12]}",
        status="applied",
        reason=data.reason,
        applied_on=applied_on,
        commune_code=citizen.commune_code,
        replaces_id=previous.id if previous else None,
    )
    session.add(card)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent application won the unique index
        raise Conflict(
            "An application is already in progress",
            code=RegistryErrorCode.CARD_IN_PROGRESS,
            field="pid",
        ) from exc
    card.serial = f"{applied_on.year % 100:02d}{card.id:010d}"
    return _done(session, actor, citizen, card, events.CARD_APPLIED)


def _close_previous(
    session: Session, citizen: Citizen, reason: str, applied_on: date
) -> IdCard | None:
    """The issued card a renewal or replacement supersedes, now marked ``replaced``."""
    previous = repo.active_card(session, citizen.id)
    if previous is None:
        return None
    if previous.status != "issued":
        raise Conflict(
            "An application is already in progress",
            code=RegistryErrorCode.CARD_IN_PROGRESS,
            field="pid",
        )
    if reason == "first":
        raise Conflict(
            "The citizen already holds a valid card",
            code=RegistryErrorCode.CARD_EXISTS,
            field="reason",
        )
    # The unique index allows one card in {applied, produced, issued} per citizen, so the old
    # card leaves that set now, by a state the index does not cover.
    previous.status = "replaced"
    previous.closed_reason = f"{reason} applied {applied_on.isoformat()}"
    session.flush()
    return previous


def transition_card(
    session: Session,
    card_id: int,
    action: str,
    *,
    actor: Actor,
    on: date | None = None,
    reason: str | None = None,
    today: date | None = None,
) -> CardOut:
    """produce / issue / report_lost / revoke, as one guarded UPDATE (no check-then-act)."""
    actor.require(Permission.CARD_MANAGE)
    if action not in _TRANSITIONS:
        raise ValidationFailed(
            f"Unknown card action {action!r}", code=RegistryErrorCode.CARD_ACTION, field="action"
        )
    card, citizen = _visible_card(session, actor, card_id)
    day = _transition_day(card, on, today or date.today())
    sources, target = _TRANSITIONS[action]
    changed = session.execute(
        update(IdCard)
        .where(IdCard.id == card.id, IdCard.status.in_(sources))
        .values(status=target, **_stamps(action, day, citizen.birth_date, reason))
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise InvalidState(
            f"A card in state {card.status!r} cannot {action}",
            code=RegistryErrorCode.CARD_TRANSITION,
            field="action",
        )
    session.refresh(card)
    return _done(session, actor, citizen, card, events.CARD_TOPICS[target])


def _visible_card(session: Session, actor: Actor, card_id: int) -> tuple[IdCard, Citizen]:
    found = repo.card_with_holder(session, actor, card_id)
    if found is None:
        raise NotFound("No such card", code=RegistryErrorCode.CARD_NOT_FOUND, field="card_id")
    return found


def _transition_day(card: IdCard, on: date | None, today: date) -> date:
    """The day of the step: not in the future, not before the card's previous step."""
    day = on or today
    previous_step = card.issued_on or card.produced_on or card.applied_on
    if day > today or day < previous_step:
        raise ValidationFailed(
            f"The date must lie between {previous_step.isoformat()} and today",
            code=RegistryErrorCode.CARD_TRANSITION_DATE,
            field="on",
        )
    return day


def _stamps(action: str, day: date, birth_date: date, reason: str | None) -> dict[str, object]:
    if action == "produce":
        return {"produced_on": day}
    if action == "issue":
        return {"issued_on": day, "expires_on": card_expiry(birth_date, day)}
    return {"closed_reason": reason or action}


def _card_holder(session: Session, actor: Actor, pid: str) -> Citizen:
    citizen = repo.citizen_by_pid_for_update(session, actor, rules.valid_pid(pid))
    if citizen is None:
        raise NotFound(
            "No citizen with this ID number", code=RegistryErrorCode.CITIZEN_NOT_FOUND, field="pid"
        )
    return citizen


def _done(session: Session, actor: Actor, citizen: Citizen, card: IdCard, topic: str) -> CardOut:
    audit.record(
        session,
        actor,
        action=topic,
        subject_type="citizen",
        subject_id=citizen.pid,
        purpose="id_card",
        fields=("id_card",),
    )
    outbox.emit(session, topic, {"pid": citizen.pid, "card_id": card.id, "status": card.status})
    return CardOut.model_validate(card)
