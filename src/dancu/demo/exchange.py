"""The demo exchange: a hospital, a bank and the social-insurance agency as partners, a
kiosk of the hospital, and health-insurance cards for part of the province, most sent
with the ID number and some without it (linked by the linkage engine)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.exchange.checkin import kiosks
from dancu.exchange.insurance import service as insurance
from dancu.exchange.insurance.schemas import CardIn
from dancu.exchange.partners import service as partners
from dancu.exchange.partners.schemas import PartnerIn
from dancu.registry import service as registry

HOSPITAL = ("bv-da-khoa-tinh", "Bệnh viện Đa khoa tỉnh", "hospital", "66001")
PARTNERS = (
    HOSPITAL,
    ("ngan-hang-demo", "Ngân hàng Thương mại Demo", "bank", None),
    ("bhxh-tinh", "Bảo hiểm xã hội tỉnh", "insurer", None),
)
CARD_SHARE = 0.6  # of the living citizens
WITHOUT_PID = 0.1  # of the cards: sent without the ID number


@dataclass(frozen=True)
class DemoCredential:
    partner: str
    client_id: str
    secret: str | None


def seed_exchange_demo(
    session: Session, *, actor: Actor, province_code: str, seed: int, today: date
) -> tuple[list[DemoCredential], str, dict[str, object]]:
    """Register the partners (each with a credential), a kiosk, and the insurer's cards;
    returns the credentials, the kiosk's enrolment code and the linkage metrics."""
    made = []
    for code, name, kind, facility in PARTNERS:
        data = PartnerIn(code=code, name=f"{name} (demo)", kind=kind, facility_code=facility)
        partners.register_partner(session, data, actor=actor)
        new = partners.issue_credential(session, code, actor=actor)
        made.append(DemoCredential(code, new.client_id, new.secret))
    _, enrolment = kiosks.add_kiosk(session, HOSPITAL[0], "Sảnh tiếp đón", actor=actor)
    citizens = registry.citizens_for_matching(
        session, province_code, actor=actor, purpose="health_insurance"
    )
    cards = _cards(citizens, random.Random(seed), today)
    # linked right below, in this transaction: no job for the workers
    insurance.import_cards(session, cards, source="file", actor=actor, announce=False)
    metrics = insurance.link_cards(session, province_code, actor=actor)
    return made, enrolment, metrics


def _cards(citizens: list[dict[str, object]], rng: random.Random, today: date) -> list[CardIn]:
    living = [c for c in citizens if c["status"] == "alive"]
    chosen = rng.sample(living, int(len(living) * CARD_SHARE))
    out = []
    for i, c in enumerate(chosen):
        pid = str(c["pid"])
        start = today - timedelta(days=rng.randrange(30, 300))
        facility = HOSPITAL[3] if rng.random() < 0.7 else "66002"
        out.append(
            CardIn(
                card_number=f"GD{rng.randrange(1, 6)}66{pid[-10:]}",
                pid=None if rng.random() < WITHOUT_PID else pid,
                full_name=str(c["full_name"]),
                birth_date=c["birth_date"],  # type: ignore[arg-type]
                sex=str(c["sex"]),
                commune_code=str(c["commune_code"]),
                valid_from=start,
                valid_to=start + timedelta(days=365),
                facility_code=facility,
                facility_name=HOSPITAL[1] if facility == HOSPITAL[3] else "Trung tâm Y tế huyện",
                benefit_level=int(str(i % 5 + 1)),
            )
        )
    return out
