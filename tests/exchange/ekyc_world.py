"""Chips, cards and a bank partner for the eKYC tests (test PKI from ``demo.chips``)."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR
from dancu.demo.chips import Issuer, make_chip
from dancu.identity.chip.reader import ChipBundle
from dancu.identity.oidc import partners
from dancu.registry import cards
from dancu.registry.models import Citizen
from dancu.registry.schemas import CardApplicationIn, CardOut
from tests.identity.oidc_helpers import RP, register


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


def bank_client(
    session: Session,
    client_id: str = "bank",
    *,
    scopes: tuple[str, ...] = ("exchange.ekyc",),
    purposes: tuple[str, ...] = ("verification",),
    method: str = "client_secret_basic",
) -> RP:
    """A bank's client-credentials client bound to a nationwide partner."""
    rp = register(
        session,
        client_id,
        method,
        redirect_uris=[],
        grant_types=["client_credentials"],
        scopes=list(scopes),
    )
    partners.bind_partner(
        session,
        client_id,
        roles=("partner_admin",),
        nationwide=True,
        organization="Ngân hàng TMCP Thử Nghiệm",
        purposes=purposes,
    )
    session.flush()
    return rp
