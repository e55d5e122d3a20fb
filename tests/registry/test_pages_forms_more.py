"""The change-of-residence and card-application forms, the registrations page and the
record's actions over HTTP (SQLite and PostgreSQL): each action is offered only to an
officer whose role allows it (no link that answers 403), the forms write through the
registry services with their audit entries, refusals name the field and keep what was
typed, an officer of another commune files nothing, and a signed-in form needs its token."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from dancu.common.access import Role
from dancu.registry.models import Citizen, IdCard
from tests.conftest import bearer, make_actor
from tests.registry.factories import COMMUNE, household, person
from tests.registry.forms_helpers import (
    OTHER_COMMUNE,
    audited,
    commune_officer,
    error_of,
    events,
    kept,
    key_of,
)
from tests.web.test_pages import sign_in

ACTIONS = re.compile(r'<a href="([^"]+)" data-testid="(to-[a-z0-9]+)"')


def actions(html: str) -> dict[str, str]:
    """testid -> href of the record's actions."""
    block = html.split('data-testid="actions"', 1)[1].split("</ul>", 1)[0]
    return {testid: href for href, testid in ACTIONS.findall(block)}


# officer -> the record's actions for a living, unmarried adult without a card
OFFERED = {
    "clerk and police": (
        (Role.REGISTRY_CLERK, Role.POLICE),
        ["to-ct07", "to-birth", "to-marriage", "to-residence", "to-death", "to-card"],
    ),
    "registry clerk": (
        (Role.REGISTRY_CLERK,),
        ["to-ct07", "to-birth", "to-marriage", "to-residence", "to-death"],
    ),
    "police": ((Role.POLICE,), ["to-ct07", "to-card"]),
    "procedure officer": ((Role.PROCEDURE_OFFICER,), ["to-ct07"]),
}


@pytest.mark.parametrize("who", sorted(OFFERED))
def test_the_record_offers_what_the_role_may_file_and_every_offer_opens(client, session, who):  # type: ignore[no-untyped-def]
    woman = person(session, "Hồ Thị Thu", birth_date=date(1994, 1, 20), sex="F")
    session.commit()
    roles, expected = OFFERED[who]
    officer = bearer(make_actor(*roles))

    record = client.get(f"/registry/citizens/{woman.pid}?purpose=civil_status", headers=officer)

    offered = actions(record.text)
    assert list(offered) == expected
    assert offered.get("to-birth", f"?mother_pid={woman.pid}").endswith(f"?mother_pid={woman.pid}")
    for href in offered.values():
        assert (href, client.get(href, headers=officer).status_code) == (href, 200)


def test_a_child_is_not_offered_a_marriage(client, session):  # type: ignore[no-untyped-def]
    """The registry refuses a marriage under the legal age (20 for a man, 18 for a woman);
    the record of a nine-year-old offered one all the same."""
    today = date.today()
    boy = person(session, "Hồ Văn An", birth_date=date(today.year - 9, 1, 20))
    young_man = person(session, "Hồ Văn Bình", birth_date=date(today.year - 19, 1, 1))
    woman = person(session, "Hồ Thị Cúc", birth_date=date(today.year - 19, 1, 1), sex="F")
    session.commit()
    clerk = bearer(make_actor(Role.REGISTRY_CLERK))

    def offered(pid: str) -> dict[str, str]:
        page = client.get(f"/registry/citizens/{pid}?purpose=civil_status", headers=clerk)
        return actions(page.text)

    assert "to-marriage" not in offered(boy.pid) and "to-residence" in offered(boy.pid)
    assert "to-marriage" not in offered(young_man.pid)
    assert "to-marriage" in offered(woman.pid)


def test_forms_an_officer_may_not_use_answer_403_and_write_nothing(client, session):  # type: ignore[no-untyped-def]
    man = person(session, "Hồ Văn Thắng", birth_date=date(1980, 1, 20))
    session.commit()
    reader = bearer(make_actor(Role.PROCEDURE_OFFICER))
    clerk_only = bearer(make_actor(Role.REGISTRY_CLERK))
    base = f"/registry/citizens/{man.pid}"

    for path in ("/marriage", "/divorce", "/residence", "/death", "/card"):
        assert client.get(base + path, headers=reader).status_code == 403
    assert client.get("/registry/births/new", headers=reader).status_code == 403
    assert client.get("/registry/events", headers=reader).status_code == 403
    assert (
        client.post(base + "/card", data={"reason": "first"}, headers=clerk_only).status_code == 403
    )
    session.expire_all()
    assert session.scalars(select(IdCard).where(IdCard.citizen_id == man.id)).all() == []


# --- Change of permanent residence ----------------------------------------------------------


def test_a_move_to_a_new_household_in_another_commune_is_registered(client, session):  # type: ignore[no-untyped-def]
    man = person(session, "Hồ Văn Thắng", birth_date=date(1980, 1, 20))
    brother = person(session, "Hồ Văn Lực", birth_date=date(1982, 2, 2))
    household(session, man, (brother, "sibling"))
    session.commit()
    officer = commune_officer()
    url = f"/registry/citizens/{man.pid}/residence"
    form = client.get(url, headers=bearer(officer)).text
    assert f'<option value="{COMMUNE}" selected>Phường Tân Lập</option>' in form  # names only
    data = {"commune_code": OTHER_COMMUNE, "address_detail": "5 Trần Hưng Đạo"}

    done = client.post(
        url,
        data={**data, "moved_on": "01/10/2025", "key": key_of(form)},
        headers=bearer(officer),
        follow_redirects=False,
    )

    session.expire_all()
    moved = session.get(Citizen, man.id)
    assert (moved.commune_code, moved.address_detail) == (OTHER_COMMUNE, "5 Trần Hưng Đạo")  # type: ignore[union-attr]
    assert audited(session, "civil_status.residence_change", man.pid) == [officer.id]
    # the record now belongs to another commune: no dead end on a record that will not open
    assert done.status_code == 303
    assert done.headers["location"] == f"/registry/events?done=moved_out&to={OTHER_COMMUNE}"
    said = client.get(done.headers["location"], headers=bearer(officer)).text
    assert "Đã đăng ký nơi thường trú mới. Hồ sơ công dân nay thuộc Phường Tuy Hòa" in said
    province = make_actor(Role.REGISTRY_CLERK)  # the province sees both communes
    again = client.post(
        f"/registry/citizens/{brother.pid}/residence",
        data={**data, "moved_on": "01/10/2025"},
        headers=bearer(province),
        follow_redirects=False,
    )
    assert again.headers["location"].endswith("?purpose=residence&done=residence")
    record = client.get(again.headers["location"], headers=bearer(province)).text
    assert (
        "Đã đăng ký nơi thường trú mới." in record and "5 Trần Hưng Đạo, Phường Tuy Hòa" in record
    )


def test_a_bad_move_names_the_field_and_keeps_what_was_typed(client, session):  # type: ignore[no-untyped-def]
    man = person(session, "Hồ Văn Thắng", birth_date=date(1980, 1, 20))
    session.commit()
    url = f"/registry/citizens/{man.pid}/residence"
    officer = bearer(commune_officer())
    typed = {
        "commune_code": OTHER_COMMUNE,
        "address_detail": "5 Trần Hưng Đạo",
        "moved_on": "01/10/2025",
    }

    unknown = client.post(url, data={**typed, "household_no": "999"}, headers=officer)
    no_address = client.post(url, data={**typed, "address_detail": " "}, headers=officer)
    before_birth = client.post(url, data={**typed, "moved_on": "01/01/1979"}, headers=officer)

    assert error_of(unknown.text)[:2] == ("household_no", "household.not_found")
    assert error_of(unknown.text)[2].startswith("Số hộ:")
    assert kept(unknown.text, "household_no") == "999"
    assert kept(unknown.text, "address_detail") == "5 Trần Hưng Đạo"
    assert f'<option value="{OTHER_COMMUNE}" selected>' in unknown.text
    assert error_of(no_address.text)[:2] == ("address_detail", "form.required")
    assert error_of(no_address.text)[2].startswith("Số nhà, đường phố, thôn, tổ dân phố:")
    assert error_of(before_birth.text)[:2] == ("moved_on", "moved_on.before_birth")
    assert events(session, "residence_change") == 0


def test_an_officer_of_another_commune_cannot_move_a_citizen(client, session):  # type: ignore[no-untyped-def]
    man = person(session, "Hồ Văn Thắng", birth_date=date(1980, 1, 20))
    session.commit()
    url = f"/registry/citizens/{man.pid}/residence"
    data = {
        "commune_code": OTHER_COMMUNE,
        "address_detail": "5 Trần Hưng Đạo",
        "moved_on": "01/10/2025",
    }

    posted = client.post(url, data=data, headers=bearer(commune_officer(OTHER_COMMUNE)))

    assert posted.status_code == 404
    session.expire_all()
    assert session.get(Citizen, man.id).commune_code == COMMUNE  # type: ignore[union-attr]
    assert events(session, "residence_change") == 0


# --- Card application -----------------------------------------------------------------------


def test_a_card_application_is_taken_once(client, session, clerk):  # type: ignore[no-untyped-def]
    woman = person(session, "Hồ Thị Thu", birth_date=date(1994, 1, 20), sex="F")
    session.commit()
    url = f"/registry/citizens/{woman.pid}/card"
    assert (
        '<option value="first">Cấp thẻ lần đầu</option>'
        in client.get(url, headers=bearer(clerk)).text
    )

    no_reason = client.post(url, data={"applied_on": "02/11/2025"}, headers=bearer(clerk))
    done = client.post(url, data={"reason": "first"}, headers=bearer(clerk), follow_redirects=False)
    again = client.post(
        url, data={"reason": "first", "applied_on": "03/11/2025"}, headers=bearer(clerk)
    )

    assert error_of(no_reason.text)[:2] == ("reason", "form.required")
    assert error_of(no_reason.text)[2].startswith("Lý do:")
    assert kept(no_reason.text, "applied_on") == "02/11/2025"
    assert done.status_code == 303 and done.headers["location"].endswith("done=card")
    assert audited(session, "card.applied", woman.pid) == [clerk.id]
    assert error_of(again.text)[:2] == ("pid", "card.in_progress")
    assert kept(again.text, "applied_on") == "03/11/2025"
    record = client.get(done.headers["location"], headers=bearer(clerk)).text
    assert "Đã tiếp nhận hồ sơ cấp thẻ căn cước." in record and "to-card" not in record
    session.expire_all()
    cards = session.scalars(select(IdCard.status).where(IdCard.citizen_id == woman.id)).all()
    assert cards == ["applied"]


# --- The registrations page, the navigation, the form's token -------------------------------


def test_the_registrations_page_opens_a_form_by_id_number(client, session, clerk):  # type: ignore[no-untyped-def]
    man = person(session, "Hồ Văn Thắng", birth_date=date(1980, 1, 20))
    session.commit()
    page = client.get("/registry/events", headers=bearer(clerk)).text
    options = re.findall(r'<option value="([a-z]+)"', page)
    assert options == ["death", "marriage", "divorce", "residence", "card"]
    assert 'href="/registry/births/new"' in page
    police = client.get("/registry/events", headers=bearer(make_actor(Role.POLICE))).text
    assert re.findall(r'<option value="([a-z]+)"', police) == ["card"]
    assert "/registry/births/new" not in police

    opened = client.get(
        "/registry/events/open",
        params={"pid": man.pid, "event": "marriage"},
        headers=bearer(clerk),
        follow_redirects=False,
    )
    bad = client.get(
        "/registry/events/open", params={"pid": "12345", "event": "marriage"}, headers=bearer(clerk)
    )

    assert opened.headers["location"] == f"/registry/citizens/{man.pid}/marriage"
    assert error_of(bad.text)[0] == "pid" and error_of(bad.text)[2].startswith(
        "Số định danh cá nhân:"
    )
    assert kept(bad.text, "pid") == "12345" and '<option value="marriage" selected>' in bad.text


def test_a_signed_in_officer_reaches_the_forms_from_home_and_each_post_needs_the_token(
    client, session
):  # type: ignore[no-untyped-def]
    sign_in(client, "province-clerk")
    home = client.get("/").text
    assert '<a href="/registry/events" data-testid="nav-events">Đăng ký hộ tịch, cư trú</a>' in home
    form = client.get("/registry/births/new").text
    data = {
        "full_name": "Phạm Minh Khang",
        "birth_date": "03/11/2025",
        "sex": "M",
        "mother_pid": "066192000001",
    }

    forged = client.post("/registry/births/new", data=data)
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    sent = client.post("/registry/births/new", data={**data, "csrf_token": token})

    assert forged.status_code == 403 and "Biểu mẫu đã hết hạn" in forged.text
    assert sent.status_code == 404  # the token passes; the unknown mother is refused on the form
    assert (
        error_of(sent.text)[0] == "mother_pid" and kept(sent.text, "full_name") == "Phạm Minh Khang"
    )
