"""Demo e-ID accounts: citizens of the demo province who can sign in, and demo officers.

Every account goes through the real identity services: registration against the registry,
the phone code read back from the development message sink, the police desk with the
card's machine-readable zone for level 2, and audited role grants for officers. All share
one known password; level-2 accounts also get an authenticator app (``dancu identity
totp-code <pid>`` prints its current code in development).
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from dancu.common import adminunits
from dancu.common.access import Actor, Role
from dancu.demo.wallet_documents import issue_demo_documents
from dancu.identity.accounts import levels, messages, officers
from dancu.identity.accounts import service as accounts
from dancu.identity.accounts.schemas import LevelTwoIn, RegistrationIn
from dancu.identity.auth import totp
from dancu.identity.chip.mrz import compose_td1
from dancu.registry import service as registry
from dancu.registry.cards import age_on
from dancu.registry.schemas import CitizenOut

DEMO_PASSWORD = "dancu-demo-2026"
# (label, level, roles, unit: "commune" or "province")
PLAN: tuple[tuple[str, int, tuple[Role, ...], str], ...] = (
    ("citizen", 1, (), ""),
    ("citizen", 1, (), ""),
    ("citizen", 1, (), ""),
    ("citizen", 2, (), ""),
    ("citizen", 2, (), ""),
    ("registry clerk", 1, (Role.REGISTRY_CLERK,), "commune"),
    ("commune police", 2, (Role.POLICE,), "commune"),
    ("procedure officer", 1, (Role.PROCEDURE_OFFICER,), "commune"),
    ("steering viewer", 1, (Role.STEERING_VIEWER,), "province"),
    ("social officer", 1, (Role.SOCIAL_OFFICER,), "commune"),
    ("social approver", 1, (Role.SOCIAL_APPROVER,), "province"),
)


@dataclass(frozen=True)
class DemoAccount:
    pid: str
    name: str
    label: str
    level: int
    roles: tuple[str, ...]
    phone: str


def demo_photo(seed: int, width: int = 120, height: int = 160) -> bytes:
    """A small real PNG (noisy gradient), unique per seed."""
    rng = random.Random(seed)
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes(((x * 2 + rng.randrange(40)) % 256, (y + rng.randrange(40)) % 256, 180))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


def _candidates(
    session: Session, actor: Actor, commune_code: str, today: date
) -> Iterator[CitizenOut]:
    """Living adults of the commune with an issued, unexpired chip card and no account."""
    page = 1
    while True:
        found = registry.search(
            session,
            actor=actor,
            purpose="data_maintenance",
            commune_code=commune_code,
            page=page,
            per_page=100,
        )
        for summary in found.items:
            if summary.status != "alive" or not 18 <= age_on(summary.birth_date, today) <= 70:
                continue
            if accounts.has_account(session, summary.pid):
                continue
            record = registry.get_citizen(
                session, summary.pid, actor=actor, purpose="data_maintenance"
            )
            card = record.card
            if card and card.status == "issued" and (card.expires_on or today) >= today:
                yield record
        if page * found.per_page >= found.total:
            return
        page += 1


def _register(session: Session, citizen: CitizenOut, n: int):  # type: ignore[no-untyped-def]
    phone = f"09{int(citizen.pid[-8:]):08d}"
    data = RegistrationIn(
        pid=citizen.pid,
        full_name=citizen.full_name,
        birth_date=citizen.birth_date,
        phone=phone,
        email=f"demo{n}@dancu.example",
        password=DEMO_PASSWORD,
        photo=demo_photo(n),
        photo_type="image/png",
    )
    account = accounts.register(session, data)
    body = messages.latest(session, recipient=account.phone, limit=1)[0].body
    code = next(word for word in body.replace(".", " ").split() if word.isdigit())
    refusal = accounts.confirm_phone(session, account.id, code)
    assert refusal is None, refusal
    return account


def _raise(session: Session, citizen: CitizenOut, police: Actor) -> None:
    card = citizen.card
    assert card is not None
    family, _, given = citizen.full_name.partition(" ")
    zone = compose_td1(
        document_number=card.card_no,
        birth_date=citizen.birth_date,
        sex=citizen.sex,
        expiry_date=card.expires_on or date(2099, 12, 31),
        family_name=family,
        given_names=given,
    )
    data = LevelTwoIn(pid=citizen.pid, mrz=zone, chip_verified="not_checked")
    levels.raise_to_level2(session, data, actor=police)


def create_demo_accounts(
    session: Session, *, actor: Actor, province_code: str, today: date | None = None
) -> list[DemoAccount]:
    """Create the demo accounts (skips when the first commune has no suitable citizens)."""
    today = today or date.today()
    commune = adminunits.communes(province_code)[0]
    police = Actor(
        id="system:demo-police",
        name="Demo police desk",
        roles=frozenset({Role.POLICE}),
        units=(commune.code,),
        organization=f"Công an {commune.name}",
    )
    created: list[DemoAccount] = []
    people = _candidates(session, actor, commune.code, today)
    for n, (label, level, roles, area) in enumerate(PLAN, start=1):
        citizen = next(people, None)
        if citizen is None:
            break
        account = _register(session, citizen, n)
        if level == 2:
            _raise(session, citizen, police)
            totp.begin_enrolment(session, account)
            assert totp.confirm_enrolment(session, account, totp.current_code(account)) is None
            issue_demo_documents(session, account)  # the wallet has documents to show
        unit = commune.code if area == "commune" else province_code
        for role in roles:
            officers.grant_role(
                session,
                account,
                role,
                unit,
                organization=_organization(role, commune.name),
                actor=actor,
            )
        created.append(
            DemoAccount(
                pid=citizen.pid,
                name=citizen.full_name,
                label=label,
                level=level,
                roles=tuple(r.value for r in roles),
                phone=account.phone or "",
            )
        )
    return created


def _organization(role: Role, commune_name: str) -> str:
    if role is Role.POLICE:
        return f"Công an {commune_name}"
    if role is Role.STEERING_VIEWER:
        return "Ban Chỉ đạo Đề án 06"
    if role is Role.SOCIAL_APPROVER:
        return "Sở Y tế (bảo trợ xã hội)"
    return f"UBND {commune_name}"
