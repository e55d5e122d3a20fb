"""Exchange pages: who may open them (anonymous, wrong role, allowed), the kiosk's device
sign-in, and the citizen's data-sharing page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dancu.common.access import SYSTEM_ACTOR, Role
from dancu.exchange.checkin import kiosks
from dancu.exchange.partners.models import Credential
from tests.conftest import bearer, make_actor

PAGES = ["/exchange", "/exchange/access"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        ("/exchange", Role.PROCEDURE_OFFICER, 403),
        ("/exchange", Role.STEERING_VIEWER, 200),
        ("/exchange/access", Role.REGISTRY_CLERK, 403),
        ("/exchange/access", Role.PARTNER_ADMIN, 200),
    ],
)
def test_officer_pages_by_role(client, session, hospital, path, role, status):
    response = client.get(path, headers=bearer(make_actor(role)))
    assert response.status_code == status, response.text


def test_a_refused_suspension_changes_nothing(client, session, hospital):
    clerk = bearer(make_actor(Role.REGISTRY_CLERK))
    page = client.get("/kiosk")  # any page: a CSRF token in the session
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/exchange/access/suspend",
        data={"holder": f"client:{hospital.client_id}", "csrf_token": token},
        headers=clerk,
    )
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Credential, hospital.client_id).revoked_at is None
    admin = bearer(make_actor(Role.PARTNER_ADMIN))
    response = client.post(
        "/exchange/access/suspend",
        data={"holder": f"client:{hospital.client_id}", "csrf_token": token},
        headers=admin,
        follow_redirects=False,
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Credential, hospital.client_id).revoked_at is not None


def test_the_kiosk_needs_an_enrolled_device(client, session, hospital, patient):
    first = client.get("/kiosk")
    assert first.status_code == 401 and 'data-testid="enrol-form"' in first.text
    token = first.text.split('name="csrf_token" value="')[1].split('"')[0]
    wrong = client.post("/kiosk/enrol", data={"secret": "nope", "csrf_token": token})
    assert wrong.status_code == 422
    _, secret = kiosks.add_kiosk(session, hospital.code, "Sảnh A", actor=SYSTEM_ACTOR)
    session.flush()
    enrolled = client.post(
        "/kiosk/enrol", data={"secret": secret, "csrf_token": token}, follow_redirects=False
    )
    assert enrolled.status_code == 303
    assert "httponly" in enrolled.headers["set-cookie"].lower()
    home = client.get("/kiosk")
    assert home.status_code == 200 and 'data-testid="kiosk-scan"' in home.text
    assert '<script src="/static/exchange-kiosk.js"' in home.text and "onclick" not in home.text
    shown = client.post("/kiosk/checkin", data={"scan": patient.pid, "csrf_token": token})
    assert shown.status_code == 200
    assert "Trần Thị Bình" in shown.text
    assert patient.pid not in shown.text  # never more than the check-in needs
    assert "12 Lê Duẩn" not in shown.text


def test_the_data_sharing_page_needs_a_signed_in_citizen(client):
    response = client.get("/account/data-sharing", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_an_unknown_kiosk_scan_is_refused_with_a_message(client, session, hospital):
    _, secret = kiosks.add_kiosk(session, hospital.code, "Sảnh B", actor=SYSTEM_ACTOR)
    session.flush()
    page = client.get("/kiosk")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/kiosk/enrol", data={"secret": secret, "csrf_token": token})
    response = client.post("/kiosk/checkin", data={"scan": "123", "csrf_token": token})
    assert response.status_code == 422
    assert 'data-code="exchange.scan_unreadable"' in response.text
    assert session.scalar(select(func.count()).select_from(Credential)) >= 1
