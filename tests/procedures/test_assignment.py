"""A leader assigns a dossier to an officer chosen among those of its unit and its step's
agency (a select on the console page); anyone else, or a typed-in id, is refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR, Role
from dancu.common.errors import DancuError
from dancu.identity.accounts import officers
from dancu.procedures import console
from dancu.procedures import service as dossiers
from tests.conftest import COMMUNE, OTHER_PROVINCE_COMMUNE, bearer
from tests.identity.helpers import active_account
from tests.procedures.helpers import TODAY, citizen_with_account, key, leader
from tests.registry.factories import person


def _officer(session: Session, name: str, role: Role, unit: str) -> str:
    account = active_account(session, person(session, name))
    officers.grant_role(session, account, role, unit, actor=SYSTEM_ACTOR)
    return f"account:{account.id}"


def _dossier(session: Session) -> str:
    _c, applicant = citizen_with_account(session)
    d = dossiers.save(
        session,
        applicant,
        "1.004873",
        {"purpose": "Kết hôn"},
        [],
        key=key(),
        submit=True,
        today=TODAY,
    )
    return d.code or ""


@pytest.fixture
def staff(session: Session) -> dict[str, str]:
    return {
        "here": _officer(session, "Lý Thị Xã", Role.PROCEDURE_OFFICER, COMMUNE),
        "province": _officer(session, "Mai Văn Tỉnh", Role.PROCEDURE_OFFICER, "66"),
        "elsewhere": _officer(session, "Hồ Văn Xa", Role.PROCEDURE_OFFICER, OTHER_PROVINCE_COMMUNE),
        "police": _officer(session, "Công An Xã", Role.POLICE, COMMUNE),
        "registry": _officer(session, "Văn Thư", Role.REGISTRY_CLERK, COMMUNE),
    }


def test_the_choice_is_the_officers_of_the_unit_and_agency(session: Session, staff) -> None:  # type: ignore[no-untyped-def]
    code = _dossier(session)
    choices = console.assignable(session, leader(), code)
    assert {o.id for o in choices} == {staff["here"], staff["province"]}
    assert [o.name for o in choices] == sorted(o.name for o in choices)


@pytest.mark.parametrize("who", ["elsewhere", "police", "registry", "typed"])
def test_assigning_anyone_else_is_refused(session: Session, staff, who: str) -> None:  # type: ignore[no-untyped-def]
    code = _dossier(session)
    officer_id = "officer:x" if who == "typed" else staff[who]
    with pytest.raises(DancuError) as refused:
        console.assign(session, leader(), code, officer_id)
    assert (refused.value.code, refused.value.field) == ("procedures.officer_unknown", "officer_id")
    assert console.dossier_for(session, leader(), code).assigned_to is None


def test_the_console_page_offers_a_select_and_shows_the_name(
    client: TestClient, session: Session, staff
) -> None:  # type: ignore[no-untyped-def]
    code = _dossier(session)
    console.assign(session, leader(), code, staff["here"])
    session.commit()
    page = client.get(f"/procedure-console/dossiers/{code}", headers=bearer(leader())).text
    assert 'data-testid="assign-officer"' in page
    assert f'<option value="{staff["here"]}" selected>Lý Thị Xã</option>' in page
    assert "Hồ Văn Xa" not in page and "Công An Xã" not in page
    assert 'data-testid="assigned-to">Lý Thị Xã<' in page
