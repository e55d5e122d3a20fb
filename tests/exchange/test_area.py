"""Partner accesses by area: the check-in figures counted from the access rows (with the
hospital's name, not its code), and an area officer's review of which partners read data
of the citizens of their area, per day, with unusual volumes flagged."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from dancu.common import adminunits
from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from dancu.db import utcnow
from dancu.exchange.checkin import service as checkin
from dancu.exchange.hygiene import accesses
from dancu.exchange.hygiene.service import unit_name
from tests.conftest import COMMUNE, OTHER_PROVINCE_COMMUNE, PROVINCE, bearer, make_actor
from tests.exchange.conftest import checkin as check_in
from tests.exchange.conftest import token


def test_the_overview_names_the_hospital_not_its_facility_code(client, session, hospital, patient):
    assert check_in(client, token(client, hospital), {"pid": patient.pid}).status_code == 200
    page = client.get("/exchange", headers=bearer(make_actor(Role.STEERING_VIEWER)))
    assert page.status_code == 200
    table = page.text.split('data-testid="checkin-counts"')[1].split("</table>")[0]
    assert "Bệnh viện bv-tinh" in table
    assert "66001" not in table


def test_check_ins_are_counted_per_hospital_and_day_from_their_rows(
    client, session, hospital, patient
):
    tok = token(client, hospital)
    for _ in range(3):
        assert check_in(client, tok, {"pid": patient.pid}).status_code == 200
    counts = checkin.day_counts(
        session, actor=make_actor(Role.STEERING_VIEWER), since=date.today() - timedelta(days=1)
    )
    assert [(c.facility_name, c.checkins, c.insured) for c in counts] == [
        ("Bệnh viện bv-tinh", 3, 3)
    ]


@pytest.mark.parametrize(
    ("units", "seen"), [((PROVINCE,), True), ((COMMUNE,), True), (("01",), False)]
)
def test_an_area_officer_sees_the_partner_accesses_of_their_area_only(
    client, session, hospital, patient, units, seen
):
    assert patient.commune_code == COMMUNE
    assert check_in(client, token(client, hospital), {"pid": patient.pid}).status_code == 200
    page = client.get(
        "/exchange/area", headers=bearer(make_actor(Role.REGISTRY_CLERK, units=units))
    )
    assert page.status_code == 200, page.text
    assert ('data-testid="area-access"' in page.text) is seen
    if seen:
        row = page.text.split('data-testid="area-access"')[1].split("</tr>")[0]
        assert "Bệnh viện bv-tinh" in row
        assert adminunits.commune(COMMUNE).name in row
        assert "health_checkin" not in row and COMMUNE not in row  # names, not codes
    session.expire_all()
    read = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "exchange.area_review_read")
    ).all()
    assert len(read) == 1


def test_the_area_page_is_for_officers_with_the_audit_right(client, session):
    anonymous = client.get("/exchange/area", follow_redirects=False)
    assert anonymous.status_code == 303
    refused = client.get("/exchange/area", headers=bearer(make_actor(Role.PROCEDURE_OFFICER)))
    assert refused.status_code == 403
    home = client.get("/", headers=bearer(make_actor(Role.REGISTRY_CLERK)))
    assert 'href="/exchange/area"' in home.text
    other = client.get("/", headers=bearer(make_actor(Role.PROCEDURE_OFFICER)))
    assert 'href="/exchange/area"' not in other.text


def test_an_unusual_day_is_flagged(session, hospital):
    partner_id = _partner_id(session, hospital.code)
    today = utcnow()
    for back in range(1, 6):  # five usual days: two citizens each
        people = [accesses.Subject(f"06619000000{i}", PROVINCE, COMMUNE) for i in range(2)]
        accesses.record(
            session, partner_id, "health_checkin", "checkin", people, now=today - timedelta(back)
        )
    bulk = [accesses.Subject(f"0661900001{i:02d}", PROVINCE, COMMUNE) for i in range(40)]
    accesses.record(session, partner_id, "health_checkin", "checkin", bulk, now=today)
    again = [accesses.Subject("066190000001", PROVINCE, COMMUNE)] * 7
    accesses.record(session, partner_id, "health_checkin", "checkin", again, now=today)
    elsewhere = [accesses.Subject("001190000001", "01", OTHER_PROVINCE_COMMUNE)]
    accesses.record(session, partner_id, "health_checkin", "checkin", elsewhere, now=today)
    clerk = make_actor(Role.REGISTRY_CLERK)
    days = accesses.area_review(session, actor=clerk, since=date.today() - timedelta(days=30))
    assert {d.commune_code for d in days} == {COMMUNE}  # not the other province's
    flagged = {d.day: d.flags for d in days}
    assert flagged[today.date()] == ["unusual_volume"]
    assert all(f == [] for day, f in flagged.items() if day != today.date())


def test_repeated_reads_of_the_same_citizens_are_flagged(session, hospital):
    partner_id = _partner_id(session, hospital.code)
    same = [accesses.Subject("066190000001", PROVINCE, COMMUNE)] * 4
    accesses.record(session, partner_id, "health_checkin", "checkin", same)
    days = accesses.area_review(
        session, actor=make_actor(Role.POLICE), since=date.today() - timedelta(days=1)
    )
    assert [(d.accesses, d.citizens, d.flags) for d in days] == [(4, 1, ["repeated_reads"])]


def test_unit_names_replace_codes():
    assert unit_name(COMMUNE) == adminunits.commune(COMMUNE).name
    assert unit_name(PROVINCE) and unit_name(PROVINCE) != PROVINCE
    assert unit_name(None) == ""


def _partner_id(session, code: str) -> int:  # type: ignore[no-untyped-def]
    from dancu.exchange.partners import service as partners

    return partners.get_partner(session, code).id
