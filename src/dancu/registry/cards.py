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
from dancu.registry import repository as repo
from dancu.registry import validation as rules
from dancu.registry.models import Citizen, IdCard
from dancu.registry.schemas import CardApplicationIn, CardOut

RENEWAL_AGES = (14, 25, 40, 60)
GRACE_YEARS = 2


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
    applied_on = data.applied_on or today
    citizen = _card_holder(session, actor, data.pid)
    if citizen.status != "alive":
        raise InvalidState("The citizen is deceased", code="card.holder_deceased", field="pid")
    if applied_on > today or applied_on < citizen.birth_date:
        raise ValidationFailed("Impossible application date", code="card.date", field="applied_on")
    previous = repo.active_card(session, citizen.id)
    if previous is not None and previous.status != "issued":
        raise Conflict(
            "An application is already in progress", code="card.in_progress", field="pid"
        )
    if previous is not None and data.reason == "first":
        raise Conflict("The citizen already holds a valid card", code="card.exists", field="reason")
    if previous is not None:
        # Renewal or replacement: the old card stays valid until the new one is issued, so it
        # leaves the "active" set by a state that the unique index does not cover.
        previous.status = "replaced"
        previous.closed_reason = f"{data.reason} applied {applied_on.isoformat()}"
        session.flush()
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
        raise Conflict("An application is already in progress", code="card.in_progress") from exc
    card.serial = f"{applied_on.year % 100:02d}{card.id:010d}"
    return _done(session, actor, citizen, card, "card.applied")


def transition_card(
    session: Session,
    card_id: int,
    action: str,
    *,
    actor: Actor,
    on: date | None = None,
    reason: str | None = None,
) -> CardOut:
    """produce / issue / report_lost / revoke, as one guarded UPDATE (no check-then-act)."""
    actor.require(Permission.CARD_MANAGE)
    if action not in _TRANSITIONS:
        raise ValidationFailed(
            f"Unknown card action {action!r}", code="card.action", field="action"
        )
    card = repo.card_by_id(session, card_id)
    citizen = session.get(Citizen, card.citizen_id) if card else None
    if (
        card is None
        or citizen is None
        or not actor.covers(citizen.province_code, citizen.commune_code)
    ):
        raise NotFound("No such card", code="card.not_found", field="card_id")
    day = on or date.today()
    sources, target = _TRANSITIONS[action]
    values: dict[str, object] = {"status": target}
    if action == "produce":
        values["produced_on"] = day
    elif action == "issue":
        values |= {"issued_on": day, "expires_on": card_expiry(citizen.birth_date, day)}
    else:
        values["closed_reason"] = reason or action
    changed = session.execute(
        update(IdCard)
        .where(IdCard.id == card.id, IdCard.status.in_(sources))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise InvalidState(
            f"A card in state {card.status!r} cannot {action}",
            code="card.transition",
            field="action",
        )
    session.refresh(card)
    return _done(session, actor, citizen, card, f"card.{target}")


def _card_holder(session: Session, actor: Actor, pid: str) -> Citizen:
    citizen = repo.citizen_by_pid_for_update(session, actor, rules.valid_pid(pid))
    if citizen is None:
        raise NotFound("No citizen with this ID number", code="citizen.not_found", field="pid")
    return citizen


def _done(session: Session, actor: Actor, citizen: Citizen, card: IdCard, topic: str) -> CardOut:
    audit.record(
        session, actor, action=topic, subject_type="citizen", subject_id=citizen.pid,
        purpose="id_card", fields=("id_card",),
    )  # fmt: skip
    outbox.emit(session, topic, {"pid": citizen.pid, "card_id": card.id, "status": card.status})
    return CardOut.model_validate(card)
