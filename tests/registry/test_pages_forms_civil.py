"""The birth, marriage and divorce forms over HTTP (SQLite and PostgreSQL): a success writes
the event through the registry service with its audit entries and opens the record saying
so; bad input is refused with the API's rule, named by field in Vietnamese (or English),
with what was typed kept and nothing written; an officer of another commune files nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from dancu.registry import civil_status
from dancu.registry.models import Citizen
from dancu.registry.schemas import MarriageIn
from tests.conftest import bearer
from tests.registry.factories import household, person
from tests.registry.forms_helpers import (
    OTHER_COMMUNE,
    audited,
    commune_officer,
    error_of,
    events,
    kept,
    key_of,
)

BIRTH = "/registry/births/new"


def _parents(session):  # type: ignore[no-untyped-def]
    father = person(session, "Phạm Văn Đức", birth_date=date(1990, 4, 1))
    mother = person(session, "Võ Thị Hạnh", birth_date=date(1992, 9, 12), sex="F")
    household(session, father, (mother, "spouse"))
    session.commit()
    return father, mother


# --- Birth ----------------------------------------------------------------------------------


def test_a_birth_enters_the_child_and_opens_the_childs_record(client, session):  # type: ignore[no-untyped-def]
    father, mother = _parents(session)
    officer = commune_officer()
    form = client.get(BIRTH, params={"mother_pid": mother.pid}, headers=bearer(officer)).text
    assert kept(form, "mother_pid") == mother.pid  # filled in from the mother's record link

    done = client.post(
        BIRTH,
        data={
            "full_name": "Phạm Minh Khang",
            "birth_date": "03/11/2025",
            "sex": "M",
            "mother_pid": mother.pid,
            "father_pid": father.pid,
            "key": key_of(form),
        },
        headers=bearer(officer),
        follow_redirects=False,
    )

    assert done.status_code == 303
    child = session.scalars(select(Citizen).where(Citizen.full_name == "Phạm Minh Khang")).one()
    assert done.headers["location"] == (
        f"/registry/citizens/{child.pid}?purpose=civil_status&done=birth"
    )
    assert (child.birth_date, child.sex, child.commune_code) == (date(2025, 11, 3), "M", "24121")
    assert audited(session, "civil_status.birth", child.pid) == [officer.id]
    record = client.get(done.headers["location"], headers=bearer(officer)).text
    assert "Đã đăng ký khai sinh: đây là hồ sơ mới của trẻ." in record
    members = record.split('data-testid="household"', 1)[1]
    assert "Phạm Văn Đức" in members and "Con" in members  # joined the parents' household


def test_a_bad_birth_is_refused_by_field_with_the_typed_values_kept(client, session):  # type: ignore[no-untyped-def]
    father, mother = _parents(session)
    officer = bearer(commune_officer())
    typed = {"full_name": "Phạm Minh 2", "birth_date": "03/11/2025", "sex": "M"}
    typed |= {"mother_pid": mother.pid, "place_of_birth": "Bệnh viện tỉnh"}

    bad_name = client.post(BIRTH, data=typed, headers=officer)
    no_sex = client.post(
        BIRTH, data={**typed, "full_name": "Phạm Minh Khang", "sex": ""}, headers=officer
    )
    father_as_mother = client.post(
        BIRTH,
        data={**typed, "full_name": "Phạm Minh Khang", "mother_pid": father.pid},
        headers=officer,
    )

    assert bad_name.status_code == 422
    field, code, text = error_of(bad_name.text)
    assert (field, code) == ("full_name", "name.invalid") and text.startswith("Họ và tên:")
    assert kept(bad_name.text, "full_name") == "Phạm Minh 2"
    assert kept(bad_name.text, "mother_pid") == mother.pid
    assert kept(bad_name.text, "place_of_birth") == "Bệnh viện tỉnh"
    assert '<option value="M" selected>Nam</option>' in bad_name.text
    assert error_of(no_sex.text)[:2] == ("sex", "form.required")
    assert error_of(no_sex.text)[2].startswith("Giới tính:")
    assert error_of(father_as_mother.text)[:2] == ("mother_pid", "birth.parent_sex")
    assert error_of(father_as_mother.text)[2].startswith("Số định danh cá nhân của mẹ:")
    assert events(session, "birth") == 0


def test_the_error_speaks_english_when_the_officer_switched(client, session):  # type: ignore[no-untyped-def]
    _father, mother = _parents(session)
    data = {"full_name": "Phạm Minh Khang", "birth_date": "31/02/2025", "sex": "M"}
    page = client.post(
        f"{BIRTH}?lang=en",
        data={**data, "mother_pid": mother.pid},
        headers=bearer(commune_officer()),
    )
    assert error_of(page.text)[:2] == ("birth_date", "date.invalid")
    assert error_of(page.text)[2].startswith("Birth date:")
    assert "Register a birth" in page.text


def test_an_officer_of_another_commune_cannot_name_a_parent_outside_it(client, session):  # type: ignore[no-untyped-def]
    _father, mother = _parents(session)
    data = {"full_name": "Phạm Minh Khang", "birth_date": "03/11/2025", "sex": "F"}

    page = client.post(
        BIRTH,
        data={**data, "mother_pid": mother.pid},
        headers=bearer(commune_officer(OTHER_COMMUNE)),
    )

    assert page.status_code == 404  # refused on the field: the parent is not in their area
    field, code, text = error_of(page.text)
    assert (field, code) == ("mother_pid", "citizen.not_found")
    assert "Không tìm thấy công dân" in text or "Không có công dân" in text
    assert events(session, "birth") == 0


# --- Marriage and divorce -------------------------------------------------------------------


def test_a_marriage_is_registered_for_both_and_the_record_links_the_spouse(client, session):  # type: ignore[no-untyped-def]
    groom = person(session, "Lý Văn Toàn", birth_date=date(1995, 2, 2))
    bride = person(session, "Đoàn Thị Yến", birth_date=date(1997, 7, 7), sex="F")
    session.commit()
    officer = commune_officer()
    url = f"/registry/citizens/{groom.pid}/marriage"
    key = key_of(client.get(url, headers=bearer(officer)).text)

    done = client.post(
        url,
        data={"spouse_pid": bride.pid, "married_on": "20/10/2025", "key": key},
        headers=bearer(officer),
        follow_redirects=False,
    )

    assert done.status_code == 303 and done.headers["location"].endswith("done=marriage")
    session.expire_all()
    assert (session.get(Citizen, groom.id).spouse_id, session.get(Citizen, bride.id).spouse_id) == (  # type: ignore[union-attr]
        bride.id,
        groom.id,
    )
    assert audited(session, "civil_status.marriage", groom.pid) == [officer.id]
    assert audited(session, "civil_status.marriage", bride.pid) == [officer.id]
    record = client.get(done.headers["location"], headers=bearer(officer)).text
    assert (
        "Đã đăng ký kết hôn." in record
        and f'data-testid="spouse">Số định danh cá nhân {bride.pid}' in record
    )
    assert 'data-testid="to-divorce"' in record and 'data-testid="to-marriage"' not in record


def test_a_bad_marriage_names_the_field_and_keeps_the_typed_values(client, session):  # type: ignore[no-untyped-def]
    groom = person(session, "Lý Văn Toàn", birth_date=date(1995, 2, 2))
    young = person(session, "Đoàn Thị Yến", birth_date=date(2009, 7, 7), sex="F")
    session.commit()
    url = f"/registry/citizens/{groom.pid}/marriage"
    officer = bearer(commune_officer())

    under_age = client.post(
        url, data={"spouse_pid": young.pid, "married_on": "20/10/2025"}, headers=officer
    )
    no_spouse = client.post(url, data={"married_on": "20/10/2025"}, headers=officer)

    assert under_age.status_code == 422
    field, code, text = error_of(under_age.text)
    assert (field, code) == ("spouse_pid", "marriage.under_age")
    assert text.startswith("Số định danh cá nhân của vợ/chồng:")
    assert kept(under_age.text, "spouse_pid") == young.pid
    assert kept(under_age.text, "married_on") == "20/10/2025"
    assert 'aria-invalid="true"' in under_age.text.split('name="spouse_pid"', 1)[1].split(">", 1)[0]
    assert error_of(no_spouse.text)[:2] == ("spouse_pid", "form.required")
    assert kept(no_spouse.text, "married_on") == "20/10/2025"
    assert events(session, "marriage") == 0


def test_an_officer_of_another_commune_cannot_marry_citizens_outside_it(client, session):  # type: ignore[no-untyped-def]
    groom = person(session, "Lý Văn Toàn", birth_date=date(1995, 2, 2))
    bride = person(session, "Đoàn Thị Yến", birth_date=date(1997, 7, 7), sex="F")
    outsider = person(
        session, "Hà Thị Ngân", birth_date=date(1996, 3, 3), sex="F", commune_code=OTHER_COMMUNE
    )
    session.commit()
    elsewhere = bearer(commune_officer(OTHER_COMMUNE))
    url = f"/registry/citizens/{groom.pid}/marriage"

    assert client.get(url, headers=elsewhere).status_code == 404
    posted = client.post(
        url, data={"spouse_pid": bride.pid, "married_on": "20/10/2025"}, headers=elsewhere
    )
    assert posted.status_code == 404 and "Đăng ký kết hôn" not in posted.text  # no form shown
    own = bearer(commune_officer())  # the groom's commune: the outsider is refused on the field
    page = client.post(
        url, data={"spouse_pid": outsider.pid, "married_on": "20/10/2025"}, headers=own
    )
    assert error_of(page.text)[:2] == ("spouse_pid", "citizen.not_found")
    assert events(session, "marriage") == 0


def test_a_divorce_is_recorded_from_the_record_after_the_marriage(client, session, clerk):  # type: ignore[no-untyped-def]
    groom = person(session, "Lý Văn Toàn", birth_date=date(1995, 2, 2))
    bride = person(session, "Đoàn Thị Yến", birth_date=date(1997, 7, 7), sex="F")
    data = MarriageIn(pid=groom.pid, spouse_pid=bride.pid, married_on=date(2020, 5, 1))
    civil_status.register_marriage(session, data, actor=clerk)
    session.commit()
    officer = commune_officer()
    url = f"/registry/citizens/{bride.pid}/divorce"
    form = client.get(url, headers=bearer(officer)).text
    assert f'name="spouse_pid" value="{groom.pid}"' in form

    early = client.post(
        url, data={"spouse_pid": groom.pid, "divorced_on": "01/01/2019"}, headers=bearer(officer)
    )
    done = client.post(
        url,
        data={"spouse_pid": groom.pid, "divorced_on": "15/09/2025", "key": key_of(form)},
        headers=bearer(officer),
        follow_redirects=False,
    )

    assert error_of(early.text)[:2] == ("divorced_on", "divorced_on.before_marriage")
    assert kept(early.text, "divorced_on") == "01/01/2019"
    assert done.status_code == 303 and done.headers["location"].endswith("done=divorce")
    session.expire_all()
    assert session.get(Citizen, bride.id).marital_status == "divorced"  # type: ignore[union-attr]
    assert audited(session, "civil_status.divorce", groom.pid) == [officer.id]
    assert (
        "Đã ghi chú ly hôn." in client.get(done.headers["location"], headers=bearer(officer)).text
    )
