"""The death registration form: reached from the record by an officer who records civil
status, the API's rules and messages on the form with what was typed kept, then the record
says it is done."""

from __future__ import annotations

from datetime import date, timedelta

from dancu.common.access import Role
from dancu.registry.models import Citizen
from tests.conftest import bearer, make_actor
from tests.registry.factories import person


def test_the_record_offers_the_form_only_to_who_records_events(client, session, clerk):  # type: ignore[no-untyped-def]
    citizen = person(session, "Đinh Văn Tâm", birth_date=date(1950, 1, 2))
    session.commit()
    record = f"/registry/citizens/{citizen.pid}?purpose=civil_status"
    assert 'data-testid="to-death"' in client.get(record, headers=bearer(clerk)).text
    reader = bearer(make_actor(Role.PROCEDURE_OFFICER))
    assert 'data-testid="to-death"' not in client.get(record, headers=reader).text
    assert client.get(f"/registry/citizens/{citizen.pid}/death", headers=reader).status_code == 403


def test_errors_are_shown_on_the_form_and_the_typed_values_kept(client, session, clerk):  # type: ignore[no-untyped-def]
    citizen = person(session, "Đinh Văn Tâm", birth_date=date(1950, 1, 2))
    session.commit()
    url = f"/registry/citizens/{citizen.pid}/death"
    bad = client.post(
        url, data={"death_date": "31/02/2020", "cause": "Tuổi già"}, headers=bearer(clerk)
    )
    assert bad.status_code == 422 and 'data-field="death_date"' in bad.text
    assert "<strong>Ngày mất:</strong>" in bad.text and 'value="31/02/2020"' in bad.text
    assert 'value="Tuổi già"' in bad.text
    future = (date.today() + timedelta(days=3)).strftime("%d/%m/%Y")
    later = client.post(url, data={"death_date": future}, headers=bearer(clerk))
    assert later.status_code == 422 and 'data-code="death_date.future"' in later.text
    session.expire_all()
    assert session.get(Citizen, citizen.id).status == "alive"  # type: ignore[union-attr]


def test_a_death_is_registered_and_the_record_says_so(client, session, clerk):  # type: ignore[no-untyped-def]
    citizen = person(session, "Đinh Văn Tâm", birth_date=date(1950, 1, 2))
    session.commit()
    url = f"/registry/citizens/{citizen.pid}/death"
    form = client.get(url, headers=bearer(clerk)).text
    key = form.split('name="key" value="', 1)[1].split('"', 1)[0]
    done = client.post(
        url,
        data={"death_date": "02/03/2026", "cause": "Tuổi già", "key": key},
        headers=bearer(clerk),
        follow_redirects=False,
    )
    assert done.status_code == 303 and "done=death" in done.headers["location"]
    page = client.get(done.headers["location"], headers=bearer(clerk)).text
    assert "Đã đăng ký khai tử." in page and "02/03/2026" in page
    assert 'data-testid="to-death"' not in page
    again = client.post(
        url,
        data={"death_date": "02/03/2026", "key": key},
        headers=bearer(clerk),
        follow_redirects=False,
    )  # the same form sent twice: the idempotency key answers with the first result
    assert again.status_code == 303
