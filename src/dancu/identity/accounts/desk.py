"""The police officer's level-2 desk: find the citizen's account, compare face and card,
check the chip, then raise the account (``levels.raise_to_level2`` does the raise).

The look-up reads the registry under the officer's name (audited, purpose "identity
verification"), and only inside the officer's area: a citizen of another commune is
refused, whether or not they exist.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from dancu.common.access import Actor, Role
from dancu.common.errors import Forbidden, ValidationFailed
from dancu.identity.accounts import citizens
from dancu.identity.accounts import repository as repo
from dancu.identity.accounts.schemas import AccountOut
from dancu.identity.chip.pki import TrustList
from dancu.identity.chip.reader import ChipBundle
from dancu.identity.chip.verify import verify_chip
from dancu.identity.errors import IdentityErrorCode
from dancu.registry.schemas import CitizenOut
from dancu.settings import get_settings


@dataclass(frozen=True, slots=True)
class DeskCase:
    """What the officer sees: the registry record, the account (if any), its face photo."""

    citizen: CitizenOut
    account: AccountOut | None
    photo_data_uri: str | None


def require_police(actor: Actor | None) -> Actor:
    if actor is None or Role.POLICE not in actor.roles:
        raise Forbidden(
            "Only the police raise an account to level 2", code=IdentityErrorCode.NOT_POLICE
        )
    return actor


def lookup(session: Session, pid: str, *, actor: Actor) -> DeskCase:
    """The citizen (in the officer's area only) and their account."""
    require_police(actor)
    pid = "".join(pid.split())
    citizen = citizens.record(session, pid, actor=actor)
    if citizen is None or not actor.covers(citizen.province_code, citizen.commune_code):
        raise Forbidden(
            "The citizen lives outside your area", code=IdentityErrorCode.OFFICER_AREA, field="pid"
        )
    return with_account(session, citizen)


def with_account(session: Session, citizen: CitizenOut) -> DeskCase:
    """The case for a record already read (and audited) in this request, with the account
    as it stands now (after a raise, say): the registry is not read again."""
    account = repo.account_by_pid(session, citizen.pid)
    if account is None or account.kind != "citizen":
        return DeskCase(citizen, None, None)
    photo = None
    if account.photo and account.photo_type in ("image/jpeg", "image/png"):
        photo = f"data:{account.photo_type};base64,{base64.b64encode(account.photo).decode()}"
    return DeskCase(citizen, AccountOut.model_validate(account), photo)


def check_chip(bundle_json: str, printed_mrz: str, *, today: date | None = None) -> str:
    """Passive authentication of a reader's chip bundle: "verified", or the failure raised
    (``ValidationFailed`` with the chip check's own code, field ``chip``)."""
    try:
        bundle = ChipBundle.from_json(bundle_json)
    except ValueError as exc:
        raise ValidationFailed(
            "The chip data could not be read", code=IdentityErrorCode.CHIP_UNREADABLE, field="chip"
        ) from exc
    trust = TrustList.from_dir(Path(get_settings().identity_csca_dir))
    result = verify_chip(bundle.sod, bundle.data_groups, trust, printed_mrz=printed_mrz or None)
    if not result.valid:
        raise ValidationFailed(
            result.message or "The chip failed passive authentication",
            code=result.code or "identity.chip_failed",
            field="chip",
        )
    return "verified"
