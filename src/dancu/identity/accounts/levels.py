"""Level 2: raised in person by a police officer of the citizen's commune, after the chip card.

The officer reads the card's machine-readable zone (and, with a reader, the chip): the
zone's document number and birth date must match the citizen and the registry's current
card, the card must be issued and unexpired, and the citizen 14 or older. The raise is
audited under the officer's name and written to the account's history.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor, Role
from dancu.common.errors import Forbidden, InvalidState, ValidationFailed
from dancu.common.textfold import fold
from dancu.db import utcnow
from dancu.identity.accounts import citizens, history
from dancu.identity.accounts import repository as repo
from dancu.identity.accounts.models import Account
from dancu.identity.accounts.schemas import LevelTwoIn
from dancu.identity.chip.mrz import Td1, parse_td1
from dancu.identity.errors import IdentityErrorCode
from dancu.registry.schemas import CardOut, CitizenOut


def _officer_may_act(actor: Actor, citizen: CitizenOut | None) -> CitizenOut:
    if Role.POLICE not in actor.roles:
        raise Forbidden(
            "Only the police raise an account to level 2", code=IdentityErrorCode.NOT_POLICE
        )
    if citizen is None or not actor.covers(citizen.province_code, citizen.commune_code):
        raise Forbidden(
            "The citizen lives outside your area", code=IdentityErrorCode.OFFICER_AREA, field="pid"
        )
    return citizen


def _current_card(citizen: CitizenOut, today: date) -> CardOut:
    card = citizen.card
    if card is None or card.status != "issued":
        raise InvalidState(
            "Level 2 needs an issued chip card", code=IdentityErrorCode.NO_CHIP_CARD, field="pid"
        )
    if card.expires_on is not None and card.expires_on < today:
        raise InvalidState(
            "The chip card has expired", code=IdentityErrorCode.CARD_EXPIRED, field="pid"
        )
    return card


def _check_zone(zone: Td1, citizen: CitizenOut, card: CardOut, today: date) -> None:
    """The zone names this card (document number, or the PID in the optional data)."""
    numbers = {zone.document_number, zone.optional_data_1[:12]}
    if card.card_no not in numbers and citizen.pid not in numbers:
        raise ValidationFailed(
            "The card's zone does not match the registry's current card",
            code=IdentityErrorCode.MRZ_MISMATCH,
            field="mrz",
        )
    if zone.birth(today=today) != citizen.birth_date:
        raise ValidationFailed(
            "The card's birth date does not match the registry",
            code=IdentityErrorCode.MRZ_MISMATCH,
            field="mrz",
        )
    if not _same_name(zone, citizen.full_name):
        raise ValidationFailed(
            "The card's name does not match the registry",
            code=IdentityErrorCode.MRZ_MISMATCH,
            field="mrz",
        )
    if zone.expiry() < today:
        raise InvalidState(
            "The chip card has expired", code=IdentityErrorCode.CARD_EXPIRED, field="mrz"
        )


def _same_name(zone: Td1, full_name: str) -> bool:
    """The zone's transliterated name is the registry's (or its start, when cut at 30)."""
    printed = " ".join(f"{zone.primary_identifier} {zone.secondary_identifier}".split())
    # ICAO writes every non-letter as a filler: "H'Hơ Ktla" is H<HO<KTLA on the card.
    registered = " ".join(re.sub(r"[^A-Z]+", " ", fold(full_name).upper()).split())
    return printed == registered or (len(printed) >= 26 and registered.startswith(printed))


def verify_chip_hook(data: LevelTwoIn) -> None:
    """Passive authentication of the chip, as the desk reported it.

    The desk (``identity.desk.check_chip``) runs ``identity.chip.verify_chip`` on the
    reader's EF.SOD and data groups and passes "verified"; a failed check never gets here
    from the desk, and "failed" from any other caller is refused. "not_checked" means no
    reader: the officer relied on the printed card, and the audit entry says so.
    """
    if data.chip_verified == "failed":
        raise ValidationFailed(
            "The chip failed passive authentication",
            code=IdentityErrorCode.CHIP_FAILED,
            field="chip",
        )


def raise_to_level2(
    session: Session,
    data: LevelTwoIn,
    *,
    actor: Actor,
    today: date | None = None,
    record: CitizenOut | None = None,
) -> Account:
    """The officer's desk action; audited (action ``identity.level2``) and in the history.

    ``record`` is the citizen's registry record when the caller has already read it in this
    request (the desk's look-up): it is not read, nor audited, a second time."""
    today = today or date.today()
    if Role.POLICE not in actor.roles:
        raise Forbidden(
            "Only the police raise an account to level 2", code=IdentityErrorCode.NOT_POLICE
        )
    if record is None or record.pid != data.pid:
        record = citizens.record(session, data.pid, actor=actor)
    citizen = _officer_may_act(actor, record)
    account = repo.account_by_pid(session, citizen.pid, for_update=True)
    if account is None or account.kind != "citizen" or account.status != "active":
        raise InvalidState(
            "The citizen has no active account", code=IdentityErrorCode.NO_ACCOUNT, field="pid"
        )
    if citizens.age(citizen, today) < citizens.MIN_OWN_ACCOUNT_AGE:
        raise ValidationFailed(
            "Level 2 is for citizens 14 or older", code=IdentityErrorCode.TOO_YOUNG, field="pid"
        )
    card = _current_card(citizen, today)
    _check_zone(parse_td1(data.mrz), citizen, card, today)
    verify_chip_hook(data)
    old = account.level
    account.level, account.level2_at, account.level2_by = 2, utcnow(), actor.id
    audit.record(
        session,
        actor,
        action="identity.level2",
        subject_type="citizen",
        subject_id=citizen.pid,
        purpose="verification",
        fields=("account_level", "id_card", f"chip:{data.chip_verified}"),
    )
    history.add(
        session,
        account.id,
        "level_changed",
        old=old,
        new=2,
        by=actor.name,
        chip=data.chip_verified,
    )
    session.flush()
    return account


def drop_to_level1(session: Session, account: Account, *, reason: str, actor: Actor) -> bool:
    """A level-2 account falls back to level 1 until re-proven at the desk (audited)."""
    if account.level != 2:
        return False
    account.level, account.level2_at, account.level2_by = 1, None, None
    audit.record(
        session,
        actor,
        action="identity.level_dropped",
        subject_type="citizen",
        subject_id=account.citizen_pid,
        purpose="citizen_request",
        fields=("account_level",),
    )
    history.add(session, account.id, "level_changed", old=2, new=1, reason=reason)
    session.flush()
    return True
