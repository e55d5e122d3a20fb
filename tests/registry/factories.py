"""Build registry data for tests through the registry's own services."""

from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR
from dancu.common.pid import make_pid
from dancu.registry import service
from dancu.registry.models import Citizen, Household, HouseholdMember
from dancu.registry.schemas import CitizenIn

_serials = itertools.count(100_001)
COMMUNE = "24121"  # Phường Tân Lập, Đắk Lắk (66)


def person(
    session: Session,
    full_name: str = "Nguyễn Văn An",
    *,
    birth_date: date = date(1990, 5, 17),
    sex: str = "M",
    commune_code: str = COMMUNE,
    birth_province: str = "066",
) -> Citizen:
    pid = make_pid(
        province_code=birth_province, birth_date=birth_date, sex=sex, serial=next(_serials)
    )
    data = CitizenIn(
        pid=pid,
        full_name=full_name,
        birth_date=birth_date,
        sex=sex,  # type: ignore[arg-type]
        commune_code=commune_code,
        address_detail="12 Lê Duẩn",
    )
    return service.add_citizen(session, data, actor=SYSTEM_ACTOR, today=date(2026, 1, 15))


def household(session: Session, head: Citizen, *others: tuple[Citizen, str]) -> Household:
    hh = Household(
        household_no=f"{head.commune_code}{head.id:08d}",
        province_code=head.province_code,
        commune_code=head.commune_code,
        address_detail=head.address_detail,
    )
    session.add(hh)
    session.flush()
    session.add(HouseholdMember(household_id=hh.id, citizen_id=head.id, relation="head"))
    for member, relation in others:
        session.add(HouseholdMember(household_id=hh.id, citizen_id=member.id, relation=relation))
    session.flush()
    return hh
