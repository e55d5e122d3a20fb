"""Chips and cards for the eKYC tests (the test PKI of ``demo.chips``)."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR
from dancu.demo.chips import Issuer, make_chip
from dancu.identity.chip.reader import ChipBundle
from dancu.registry import cards
from dancu.registry.models import Citizen
from dancu.registry.schemas import CardApplicationIn, CardOut


def issue(
    session: Session, c: Citizen, *, reason: str = "first", on: date | None = None
) -> CardOut:
    applied = cards.apply_for_card(
        session, CardApplicationIn(pid=c.pid, reason=reason, applied_on=on), actor=SYSTEM_ACTOR
    )
    cards.transition_card(session, applied.id, "produce", actor=SYSTEM_ACTOR, on=on)
    return cards.transition_card(session, applied.id, "issue", actor=SYSTEM_ACTOR, on=on)


def chip_of(signer: Issuer, c: Citizen, card: CardOut, **changes: Any) -> ChipBundle:
    family, _, given = c.full_name.partition(" ")
    holder: dict[str, Any] = {
        "document_number": c.pid,
        "family_name": family,
        "given_names": given,
        "birth_date": c.birth_date,
        "sex": c.sex,
        "expiry_date": card.expires_on or date(2099, 12, 31),
    }
    holder.update(changes)
    return make_chip(signer, **holder)


def request_body(chip: ChipBundle, pid: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sod": base64.b64encode(chip.sod).decode(),
        "dg1": base64.b64encode(chip.data_groups[1]).decode(),
        "dg2": base64.b64encode(chip.data_groups[2]).decode(),
        "claimed": {"pid": pid},
        "attributes": ["full_name", "birth_date"],
    }
    body.update(extra)
    return body
