"""The eKYC checks after passive authentication: the chip is the claimed person's, the card
is the citizen's current one, the citizen is alive, and the claimed data agree.

Which card a chip belongs to: DG1 carries the document number (the citizen's ID number,
the card number of every card they ever held), the birth date and the expiry date, not
the card's serial. The chip is the current card's when the citizen's current card is
issued and expires on the chip's expiry date (a card valid for life: 31 Dec 2099 on the
chip, as the demo's reader writes it). Otherwise the current card tells why the chip is
not good: lost, revoked, replaced by a newer card (or one in production), expired.
A lost card and its replacement issued before the same age milestone share DG1 entirely;
what tells them apart is the SOD: a chip is signed when its card is personalised, after the
card was applied for, so a chip whose SOD was signed (CMS ``signingTime``) before the
current card's application day is an earlier card's (``chip_signed_for_card``). A chip
without a signing time cannot be placed this way (see docs/exchange-ekyc.md).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from dancu.common.errors import InvalidState, NotFound, ValidationFailed
from dancu.common.textfold import fold
from dancu.exchange.ekyc.schemas import ClaimedIn
from dancu.exchange.errors import ExchangeErrorCode as Code
from dancu.identity.accounts.citizens import same_name
from dancu.identity.chip.mrz import Td1
from dancu.registry.schemas import CardOut, CitizenOut

LIFETIME_ON_CHIP = date(2099, 12, 31)
VN_TIME = timezone(timedelta(hours=7))  # an application day is Vietnam's calendar day
_CLOSED = {
    "lost": (Code.EKYC_CARD_LOST, "The card was reported lost"),
    "revoked": (Code.EKYC_CARD_REVOKED, "The card was revoked"),
    "replaced": (Code.EKYC_CARD_SUPERSEDED, "The card was replaced by a newer one"),
}


def mrz_name(full_name: str) -> str:
    """A name as the MRZ writes it: A-Z only, words separated by one space."""
    return " ".join(re.sub(r"[^A-Z]+", " ", fold(full_name).upper()).split())


def chip_name(mrz: Td1) -> str:
    return " ".join(f"{mrz.primary_identifier} {mrz.secondary_identifier}".split())


def _same_mrz_name(chip: str, registered: str) -> bool:
    """Equal, or the chip's name truncated to the zone's 30 characters."""
    a, b = chip.replace(" ", ""), registered.replace(" ", "")
    return a == b or (len(chip) + 2 >= 30 and b.startswith(a))


def chip_is_claimed_person(mrz: Td1, claimed: ClaimedIn, today: date) -> None:
    """The chip's ID number (and, if claimed, birth date, sex and name) are the claim's."""
    differing = []
    if mrz.document_number != claimed.pid:
        differing.append("pid")
    if claimed.birth_date is not None and mrz.birth(today=today) != claimed.birth_date:
        differing.append("birth_date")
    if claimed.sex is not None and mrz.sex != claimed.sex:
        differing.append("sex")
    if claimed.full_name and not _same_mrz_name(chip_name(mrz), mrz_name(claimed.full_name)):
        differing.append("full_name")
    if differing:
        raise ValidationFailed(
            f"The chip is not the claimed person's (differs in {', '.join(differing)})",
            code=Code.EKYC_CHIP_MISMATCH,
            field=differing[0],
        )


def citizen_alive(citizen: CitizenOut) -> None:
    if citizen.status != "alive":
        raise InvalidState(
            "The card holder is recorded as deceased",
            code=Code.EKYC_CITIZEN_DECEASED,
            field="pid",
        )


def current_card(citizen: CitizenOut, mrz: Td1, today: date) -> CardOut:
    """The citizen's current card, when the chip is it; else the reason it is not."""
    card = citizen.card
    first_in_progress = card is not None and card.status != "issued" and card.reason == "first"
    if card is None or (first_in_progress and card.status not in _CLOSED):
        raise NotFound("The citizen holds no issued card", code=Code.EKYC_CARD_UNKNOWN)
    if card.status in _CLOSED:
        code, message = _CLOSED[card.status]
        raise InvalidState(message, code=code, field="chip")
    if card.status != "issued" or (card.expires_on or LIFETIME_ON_CHIP) != mrz.expiry():
        raise InvalidState(
            "The chip belongs to an earlier card of this citizen",
            code=Code.EKYC_CARD_SUPERSEDED,
            field="chip",
        )
    if mrz.expiry() <= today:
        raise InvalidState("The card has expired", code=Code.EKYC_CARD_EXPIRED, field="chip")
    return card


def chip_signed_for_card(signed_at: datetime | None, card: CardOut) -> None:
    """The chip was signed on or after the day its card was applied for; signed before the
    current card's application, it is an earlier card's (a lost one whose replacement
    carries the same DG1)."""
    if signed_at is not None and signed_at.astimezone(VN_TIME).date() < card.applied_on:
        raise InvalidState(
            "The chip was signed before the current card was applied for: it belongs to an"
            " earlier card of this citizen",
            code=Code.EKYC_CARD_SUPERSEDED,
            field="chip",
        )


def chip_matches_registry(mrz: Td1, citizen: CitizenOut, today: date) -> None:
    """A genuine chip whose holder data the registry no longer has (a corrected name or birth
    date) is an earlier card's, superseded by the correction."""
    same = (
        mrz.birth(today=today) == citizen.birth_date
        and mrz.sex == citizen.sex
        and _same_mrz_name(chip_name(mrz), mrz_name(citizen.full_name))
    )
    if not same:
        raise InvalidState(
            "The chip's holder data differ from the registry's (corrected since)",
            code=Code.EKYC_CARD_SUPERSEDED,
            field="chip",
        )


def compare_claims(claimed: ClaimedIn, citizen: CitizenOut) -> dict[str, bool]:
    """Each claimed field -> whether the registry agrees (the name exactly, diacritics too)."""
    out: dict[str, bool] = {"pid": claimed.pid == citizen.pid}
    if claimed.full_name is not None:
        out["full_name"] = same_name(claimed.full_name, citizen.full_name)
    if claimed.birth_date is not None:
        out["birth_date"] = claimed.birth_date == citizen.birth_date
    if claimed.sex is not None:
        out["sex"] = claimed.sex == citizen.sex
    return out
