"""Building citizens, accounts and chip cards for the identity tests."""

from __future__ import annotations

import re
import struct
from datetime import date

from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR, Actor, Role
from dancu.identity.accounts import messages
from dancu.identity.accounts import service as accounts
from dancu.identity.accounts.models import Account
from dancu.identity.accounts.schemas import LevelTwoIn, RegistrationIn
from dancu.identity.chip.mrz import compose_td1
from dancu.registry import cards
from dancu.registry.models import Citizen
from dancu.registry.schemas import CardApplicationIn, CardOut
from tests.conftest import COMMUNE, make_actor
from tests.registry.factories import person

PASSWORD = "correct horse battery"


def png(width: int = 300, height: int = 400, size: int = 4096) -> bytes:
    """A PNG header (signature + IHDR) padded to ``size`` bytes: enough for the checks."""
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + b"\0" * 4
    return data + b"\0" * (size - len(data))


def jpeg(width: int = 300, height: int = 400, size: int = 4096) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0" + b"\0" * 9
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    data = b"\xff\xd8" + app0 + sof
    return data + b"\0" * (size - len(data) - 2) + b"\xff\xd9"


def citizen(
    session: Session,
    name: str = "Nguyễn Văn An",
    *,
    birth_date: date = date(1990, 5, 17),
    sex: str = "M",
    commune_code: str = COMMUNE,
) -> Citizen:
    return person(session, name, birth_date=birth_date, sex=sex, commune_code=commune_code)


def registration(c: Citizen, **changes: object) -> RegistrationIn:
    data: dict[str, object] = {
        "pid": c.pid,
        "full_name": c.full_name,
        "birth_date": c.birth_date,
        "phone": f"09{c.id:08d}",
        "email": f"citizen{c.id}@example.vn",
        "password": PASSWORD,
        "photo": png(),
        "photo_type": "image/png",
    }
    data.update(changes)
    return RegistrationIn.model_validate(data)


def last_code(session: Session, recipient: str | None) -> str:
    """The code in the newest message to ``recipient`` (what the citizen reads on the phone)."""
    body = messages.latest(session, recipient=recipient, limit=1)[0].body
    found = re.search(r"\b(\d{6})\b", body)
    assert found, body
    return found.group(1)


def active_account(session: Session, c: Citizen, **changes: object) -> Account:
    account = accounts.register(session, registration(c, **changes))
    assert accounts.confirm_phone(session, account.id, last_code(session, account.phone)) is None
    return account


def police(*units: str) -> Actor:
    return make_actor(Role.POLICE, units=units or (COMMUNE,), name="Công an xã")


def issue_card(session: Session, c: Citizen) -> CardOut:
    applied = cards.apply_for_card(session, CardApplicationIn(pid=c.pid), actor=SYSTEM_ACTOR)
    cards.transition_card(session, applied.id, "produce", actor=SYSTEM_ACTOR)
    return cards.transition_card(session, applied.id, "issue", actor=SYSTEM_ACTOR)


def mrz(c: Citizen, card: CardOut, *, number: str | None = None, birth: date | None = None) -> str:
    family, _, given = c.full_name.partition(" ")
    return compose_td1(
        document_number=number or card.card_no,
        birth_date=birth or c.birth_date,
        sex=c.sex,
        expiry_date=card.expires_on or date(2099, 12, 31),
        family_name=family,
        given_names=given,
    )


def desk(c: Citizen, card: CardOut, **changes: object) -> LevelTwoIn:
    data: dict[str, object] = {"pid": c.pid, "mrz": mrz(c, card), "chip_verified": "verified"}
    data.update(changes)
    return LevelTwoIn.model_validate(data)


def level2_account(session: Session, c: Citizen) -> Account:
    from dancu.identity.accounts import levels

    active_account(session, c)
    card = issue_card(session, c)
    return levels.raise_to_level2(session, desk(c, card), actor=police(c.commune_code))
