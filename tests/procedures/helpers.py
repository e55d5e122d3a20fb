"""Building citizens, applicants and officers for the procedures tests."""

from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy.orm import Session

from dancu.common.access import Actor, Role
from dancu.procedures.files import Upload
from dancu.procedures.prefill import Applicant
from dancu.registry.models import Citizen
from tests.conftest import COMMUNE, PROVINCE, make_actor
from tests.identity.helpers import active_account, issue_card
from tests.registry.factories import household, person

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
TODAY = date(2026, 3, 2)  # a Monday, not near Tết
_keys = itertools.count(1)


def key() -> str:
    return f"test-key-{next(_keys):06d}"


def citizen_with_account(
    session: Session, name: str = "Trần Thị Bình", *, sex: str = "F", card: bool = True
) -> tuple[Citizen, Applicant]:
    c = person(session, name, sex=sex, birth_date=date(1992, 4, 3))
    household(session, c)
    if card:
        issue_card(session, c)
    account = active_account(session, c)
    return c, Applicant(c.pid, account.id, c.full_name, level=1)


def officer(*roles: Role, units: tuple[str, ...] = (COMMUNE,), name: str = "Cán bộ") -> Actor:
    return make_actor(*(roles or (Role.PROCEDURE_OFFICER,)), units=units, name=name)


def leader(units: tuple[str, ...] = (COMMUNE,)) -> Actor:
    return make_actor(Role.COMMUNE_LEADER, units=units, name="Chủ tịch UBND")


def pdf(component: str) -> Upload:
    return Upload(component, f"{component}.pdf", PDF)


BIRTH_FORM = {
    "child_name": "Trần Minh Khôi",
    "child_birth_date": "20/02/2026",
    "child_sex": "M",
    "place_of_birth": "Bệnh viện Đa khoa tỉnh Đắk Lắk",
}
__all__ = ["COMMUNE", "PROVINCE"]
