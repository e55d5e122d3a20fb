"""Demo wallet documents for a demo account, made up from its registry record.

Numbers, plates and medical facts are synthetic, drawn from a generator seeded by the
citizen's ID number, so the same demo citizen gets the same documents on every run.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from dancu.common.errors import Forbidden
from dancu.db import utcnow
from dancu.demo.errors import DemoErrorCode
from dancu.identity.accounts import citizens
from dancu.identity.accounts import service as accounts
from dancu.identity.accounts.service import Account
from dancu.identity.wallet import service as wallet
from dancu.identity.wallet.service import WalletCredential
from dancu.settings import get_settings

_FACILITIES = ("Trạm y tế xã", "Bệnh viện đa khoa tỉnh", "Trung tâm y tế khu vực")
_BRANDS = (("Honda", "Xe mô tô"), ("Yamaha", "Xe mô tô"), ("VinFast", "Ô tô con"))
_COLOURS = ("Đen", "Trắng", "Đỏ", "Xanh")


def issue_demo_documents_to_holder(
    session: Session, account_id: int, account_level: int
) -> list[WalletCredential]:
    """The wallet page's demo button: synthetic documents for a level-2 holder (never in
    production, where documents come from the agencies that issue them)."""
    if not get_settings().dev_login:  # the route is not even mounted without it
        raise Forbidden("Demo documents are off in production", code=DemoErrorCode.WALLET_DEMO_OFF)
    if account_level != 2:
        raise Forbidden(
            "Documents go to level-2 accounts", code=DemoErrorCode.WALLET_LEVEL2_REQUIRED
        )
    return issue_demo_documents(session, account_id)


def issue_demo_documents(session: Session, account: Account | int) -> list[WalletCredential]:
    """Issue the demo documents the account does not hold yet; returns those issued."""
    if isinstance(account, int):
        account = accounts.get(session, account)
    record = citizens.record(session, account.citizen_pid)
    if record is None:
        return []
    held = wallet.held_types(session, account.id)
    holder = {
        "full_name": record.full_name,
        "birth_date": record.birth_date.isoformat(),
        "sex": str(record.sex),
        "personal_id": record.pid,
    }
    today = utcnow().date()
    rng = random.Random(f"wallet:{record.pid}")
    documents = _documents(rng, record.pid, record.birth_date, today)
    issued = []
    for doc_type, claims in documents.items():
        if doc_type in held:
            continue
        row = wallet.issue_document(
            session, account.id, doc_type, {**holder, **claims}, actor=wallet.WALLET_ISSUER_ACTOR
        )
        issued.append(row)
    return issued


def _documents(rng: random.Random, pid: str, birth: date, today: date) -> dict[str, dict[str, Any]]:
    adult = (today - birth).days >= 18 * 365
    docs: dict[str, dict[str, Any]] = {
        "health_insurance_card": {
            "insurance_number": f"{pid[-10:]}",
            "registered_facility": rng.choice(_FACILITIES),
            "benefit_level": rng.choice((1, 2, 3, 4, 5)),
            "valid_from": today.replace(month=1, day=1).isoformat(),
            "valid_until": today.replace(month=12, day=31).isoformat(),
        },
        "ehealth_book_summary": {
            "blood_type": rng.choice(("O+", "A+", "B+", "AB+", "O-")),
            "allergies": rng.choice(([], ["Penicillin"], ["Hải sản"])),
            "chronic_conditions": rng.choice(([], ["Tăng huyết áp"], ["Đái tháo đường type 2"])),
            "vaccinations": ["BCG", "Viêm gan B", "Sởi", "COVID-19"],
            "updated_on": (today - timedelta(days=rng.randint(1, 60))).isoformat(),
        },
        "criminal_record_certificate": {
            "certificate_number": f"{rng.randint(1000, 9999)}/{today.year}/LLTP",
            "has_criminal_record": False,
            "issued_on": (today - timedelta(days=rng.randint(1, 30))).isoformat(),
            "issuing_authority": "Sở Tư pháp (demo)",
        },
    }
    if adult:
        issued_on = today - timedelta(days=rng.randint(100, 2000))
        brand, kind = rng.choice(_BRANDS)
        docs["driving_licence"] = {
            "licence_number": f"{rng.randint(10**11, 10**12 - 1)}",
            "categories": ["A1"] if kind == "Xe mô tô" else ["A1", "B"],
            "issued_on": issued_on.isoformat(),
            "valid_until": (issued_on + timedelta(days=3650)).isoformat(),
            "issuing_authority": "Cục Cảnh sát giao thông (demo)",
        }
        docs["vehicle_registration"] = {
            "plate_number": _plate(rng),
            "vehicle_type": kind,
            "brand": brand,
            "colour": rng.choice(_COLOURS),
            "chassis_number": f"RL{rng.randint(10**12, 10**13 - 1)}",
            "registered_on": issued_on.isoformat(),
        }
    return docs


def _plate(rng: random.Random) -> str:
    """A Đắk Lắk plate (province code 47), e.g. 47B2-12345."""
    return f"47{rng.choice('ABCDEFGH')}{rng.randint(1, 9)}-{rng.randint(10000, 99999)}"
