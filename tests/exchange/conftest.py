"""Exchange fixtures: a hospital partner with a credential, a patient with an insurance
card, and the partner's access token from the real token endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR
from dancu.exchange.insurance import service as insurance
from dancu.exchange.insurance.schemas import CardIn
from dancu.exchange.partners import ratelimit
from dancu.exchange.partners import service as partners
from dancu.exchange.partners.schemas import PartnerIn, PurposeIn
from dancu.registry.models import Citizen
from tests.registry.factories import person

FACILITY = "66001"


@dataclass
class Partner:
    code: str
    client_id: str
    secret: str


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    ratelimit.reset()
    yield
    ratelimit.reset()


def make_partner(
    session: Session,
    code: str = "bv-tinh",
    kind: str = "hospital",
    *,
    facility: str | None = FACILITY,
    purposes: list[PurposeIn] | None = None,
    rate: int = 600,
) -> Partner:
    data = PartnerIn(
        code=code,
        name=f"Bệnh viện {code}",
        kind=kind,
        facility_code=facility,
        purposes=purposes,
        rate_per_minute=rate,
    )
    partners.register_partner(session, data, actor=SYSTEM_ACTOR)
    new = partners.issue_credential(session, code, actor=SYSTEM_ACTOR)
    assert new.secret is not None
    session.flush()
    return Partner(code, new.client_id, new.secret)


@pytest.fixture
def hospital(session: Session) -> Partner:
    return make_partner(session)


@pytest.fixture
def patient(session: Session) -> Citizen:
    citizen = person(session, "Trần Thị Bình", birth_date=date(1985, 3, 9), sex="F")
    give_card(session, citizen)
    return citizen


def give_card(session: Session, citizen: Citizen, facility: str = FACILITY) -> None:
    card = CardIn(
        card_number=f"GD4{citizen.pid[:2]}{citizen.pid[-10:]}",
        pid=citizen.pid,
        full_name=citizen.full_name,
        birth_date=citizen.birth_date,
        sex=citizen.sex,
        commune_code=citizen.commune_code,
        valid_from=date(2020, 1, 1),
        valid_to=date(2099, 12, 31),
        facility_code=facility,
        facility_name="Bệnh viện Đa khoa Tỉnh",
        benefit_level=4,
    )
    insurance.import_cards(session, [card], source="file", actor=SYSTEM_ACTOR)
    # link at once by the ID number (the background job would do the same)
    found = insurance.repo.by_number(session, card.card_number)
    assert found is not None
    found.pid, found.link_method = citizen.pid, "id"
    session.flush()


def token(web: TestClient, partner: Partner, scope: str = "exchange.use") -> str:
    response = web.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(partner.client_id, partner.secret),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def checkin(web: TestClient, tok: str, body: dict[str, Any], **headers: str) -> Any:
    return web.post(
        "/api/exchange/checkin", json=body, headers={"Authorization": f"Bearer {tok}", **headers}
    )


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.json()
