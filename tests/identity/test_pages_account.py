"""My account over HTTP: sessions and their revocation, passkeys (a software authenticator
against the real endpoints), the authenticator app with its QR code, the step-up to level 2,
the audit trail of my own record, and the guardian's page."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dancu.common.access import Role
from dancu.db import utcnow
from dancu.identity.accounts.models import Account
from dancu.identity.auth import passkeys, totp
from dancu.registry import service as registry
from tests.conftest import make_actor
from tests.identity.helpers import active_account, citizen, level2_account
from tests.identity.page_helpers import csrf, enrol_totp, error_of, post, sign_in
from tests.identity.soft_authenticator import SoftAuthenticator
from tests.registry.factories import household

ORIGIN = "http://testserver"  # TestClient's site: the passkeys' relying party


def json_post(client: TestClient, path: str, body: dict | None = None, *, token: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Accept": "application/json", "X-CSRF-Token": token or csrf(client, "/account")}
    return client.post(path, json=body or {}, headers=headers)


def add_passkey(client: TestClient, key: SoftAuthenticator, name: str = "Khóa USB") -> None:
    options = json_post(client, "/account/passkeys/options")
    assert options.status_code == 200, options.text
    answer = json_post(
        client, "/account/passkeys", {"credential": key.create(options.text), "name": name}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"redirect": "/account#passkeys"}


def passkey_sign_in(client: TestClient, key: SoftAuthenticator, token: str, next: str = "", **kw):  # type: ignore[no-untyped-def]
    options = json_post(client, "/login/passkey/options", token=token)
    assert options.status_code == 200, options.text
    body = {"credential": key.get(options.text, **kw), "next": next}
    return json_post(client, "/login/passkey", body, token=token)


def test_revoking_a_session_signs_the_other_browser_out(app, client, session):
    account = active_account(session, citizen(session))
    session.commit()
    laptop, phone = client, TestClient(app)
    sign_in(laptop, account)
    sign_in(phone, account)
    page = laptop.get("/account")
    assert page.text.count('data-testid="session-row"') == 2
    phone_sid = registry_sessions(session, account)[0]  # the newest: the phone signed in last
    answer = post(laptop, f"/account/sessions/{phone_sid}/revoke", {}, token_from="/account")
    assert answer.status_code == 303
    assert phone.get("/account", follow_redirects=False).headers["location"].startswith("/login")
    assert laptop.get("/account").status_code == 200


def registry_sessions(session, account: Account) -> list[str]:  # type: ignore[no-untyped-def]
    from dancu.identity.auth import signin

    session.expire_all()
    return [s.id for s in signin.list_sessions(session, account.id)]


def test_a_session_of_another_account_cannot_be_revoked(app, client, session):
    alice = active_account(session, citizen(session))
    bob = active_account(session, citizen(session, "Trần Thị Bích", sex="F"))
    session.commit()
    sign_in(client, alice)
    other = TestClient(app)
    sign_in(other, bob)
    [bob_sid] = registry_sessions(session, bob)
    answer = post(client, f"/account/sessions/{bob_sid}/revoke", {}, token_from="/account")
    assert answer.status_code == 404
    assert other.get("/account").status_code == 200


def test_add_a_passkey_then_sign_in_with_it_alone_or_as_the_second_factor(app, client, session):
    account = active_account(session, citizen(session))
    session.commit()
    sign_in(client, account)
    key = SoftAuthenticator("testserver", ORIGIN)
    add_passkey(client, key)
    assert 'data-testid="passkey-row">Khóa USB' in client.get("/account").text

    fresh = TestClient(app)  # another browser: passkey alone, no password
    answer = passkey_sign_in(fresh, key, csrf(fresh, "/login"), next="/account/children")
    assert answer.status_code == 200 and answer.json() == {"redirect": "/account/children"}
    assert fresh.get("/account").status_code == 200

    second = TestClient(app)  # password first, then the passkey as second factor
    post(second, "/login", {"pid": account.citizen_pid, "password": "correct horse battery"})
    page = second.get("/login/second-factor")
    assert 'data-testid="passkey-authenticate"' in page.text
    answer = passkey_sign_in(second, key, csrf(second, "/login/second-factor"))
    assert answer.status_code == 200
    assert second.get("/account").status_code == 200


def test_passkey_attacks_over_http_are_refused(app, client, session):
    account = active_account(session, citizen(session))
    session.commit()
    sign_in(client, account)
    key = SoftAuthenticator("testserver", ORIGIN)
    add_passkey(client, key)

    browser = TestClient(app)
    token = csrf(browser, "/login")
    options = json_post(browser, "/login/passkey/options", token=token).text
    response = key.get(options)
    # without the CSRF header
    assert (
        browser.post(
            "/login/passkey", json={"credential": response}, headers={"Accept": "application/json"}
        ).status_code
        == 403
    )
    # from another browser (challenge bound to the session that asked)
    thief = TestClient(app)
    stolen = json_post(
        thief, "/login/passkey", {"credential": response}, token=csrf(thief, "/login")
    )
    assert (stolen.status_code, stolen.json()["code"]) == (403, "passkey.challenge")
    # the real one works once, and a replay is refused
    assert (
        json_post(browser, "/login/passkey", {"credential": response}, token=token).status_code
        == 200
    )
    again = TestClient(app)
    replay_token = csrf(again, "/login")
    replay = json_post(
        browser, "/login/passkey", {"credential": response}, token=csrf(browser, "/account")
    )
    assert (replay.status_code, replay.json()["code"]) == (403, "passkey.challenge")
    # a counter that does not grow (a cloned key)
    options = json_post(again, "/login/passkey/options", token=replay_token).text
    cloned = json_post(
        again, "/login/passkey", {"credential": key.get(options, count=1)}, token=replay_token
    )
    assert (cloned.status_code, cloned.json()["code"]) == (403, "passkey.sign_count")
    assert again.get("/account", follow_redirects=False).status_code == 303


def test_remove_a_passkey(client, session):
    account = active_account(session, citizen(session))
    session.commit()
    sign_in(client, account)
    add_passkey(client, SoftAuthenticator("testserver", ORIGIN))
    [p] = passkeys.list_for(session, account.id)
    answer = post(client, f"/account/passkeys/{p.id}/remove", {}, token_from="/account")
    assert answer.status_code == 303
    assert passkeys.list_for(session, account.id) == []
    assert 'data-testid="passkey-row"' not in client.get("/account").text


def test_enrol_the_authenticator_app_with_a_qr_code(client, session):
    account = active_account(session, citizen(session))
    session.commit()
    sign_in(client, account)
    post(client, "/account/totp", {}, token_from="/account")
    page = client.get("/account").text
    assert 'data-testid="totp-qr"><svg' in page
    session.expire_all()
    stored = session.get(Account, account.id)
    assert stored is not None and stored.totp_secret
    answer = post(client, "/account/totp/confirm", {"code": "000000"}, token_from="/account")
    if answer.status_code != 303:  # (a one-in-a-million right guess is fine too)
        assert error_of(answer.text)[:2] == ("identity.otp_wrong", "code")
    code = pyotp.TOTP(totp.secret_of(stored)).now()
    answer = post(client, "/account/totp/confirm", {"code": code}, token_from="/account")
    assert answer.status_code == 303
    assert 'data-testid="totp-enabled"' in client.get("/account").text


def test_step_up_to_level_2_with_the_authenticator_app(client, session):
    c = citizen(session)
    account = level2_account(session, c)
    enrol_totp(session, account)
    session.commit()
    sign_in(client, account)
    assert 'data-testid="session-level">Mức 1' in client.get("/account").text
    page = client.get("/login/step-up", params={"next": "/account"})
    assert page.status_code == 200 and 'data-testid="step-up-form"' in page.text
    answer = post(
        client, "/login/step-up", {"code": "12345", "next": "/account"}, token_from="/login/step-up"
    )
    assert answer.status_code == 401 and error_of(answer.text)[0] == "identity.otp_wrong"
    assert account.totp_secret
    code = pyotp.TOTP(totp.secret_of(account)).at(utcnow() + timedelta(seconds=30))
    answer = post(
        client, "/login/step-up", {"code": code, "next": "/account"}, token_from="/login/step-up"
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/account"
    assert 'data-testid="session-level">Mức 2' in client.get("/account").text


def test_a_level_2_account_without_an_app_sets_one_up_on_the_step_up_page(client, session):
    account = level2_account(session, citizen(session))
    session.commit()
    sign_in(client, account)
    step_up = "/login/step-up?next=%2Faccount%2Fchildren"
    page = client.get(step_up)
    assert page.status_code == 200
    assert 'data-testid="totp-start"' in page.text
    assert 'href="/account/children" data-testid="step-up-back"' in page.text  # a way back
    started = post(client, "/login/step-up/totp", {"next": "/account/children"}, token_from=step_up)
    assert started.headers["location"] == step_up + "#totp"
    page = client.get(step_up)
    assert 'data-testid="totp-qr"' in page.text and 'data-testid="totp-enrol-form"' in page.text
    session.refresh(account)
    secret = totp.secret_of(account)
    wrong = post(
        client,
        "/login/step-up/totp/confirm",
        {"code": "000000", "next": "/account/children"},
        token_from=step_up,
    )
    assert wrong.status_code == 401 and 'data-testid="totp-enrol-form"' in wrong.text
    confirmed = post(
        client,
        "/login/step-up/totp/confirm",
        {"code": pyotp.TOTP(secret).now(), "next": "/account/children"},
        token_from=step_up,
    )
    assert confirmed.headers["location"] == step_up + "&enrolled=yes"
    page = client.get(confirmed.headers["location"])
    assert 'data-testid="totp-enrolled"' in page.text and 'data-testid="step-up-form"' in page.text
    code = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))
    answer = post(
        client, "/login/step-up", {"code": code, "next": "/account/children"}, token_from=step_up
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/account/children")
    assert 'data-testid="session-level">Mức 2' in client.get("/account").text


def test_step_up_with_a_passkey(client, session):
    account = level2_account(session, citizen(session))
    session.commit()
    sign_in(client, account)
    key = SoftAuthenticator("testserver", ORIGIN)
    add_passkey(client, key)
    token = csrf(client, "/account")
    options = json_post(client, "/login/step-up/passkey/options", token=token)
    assert len(json.loads(options.text)["allowCredentials"]) == 1
    body = {"credential": key.get(options.text), "next": "/account"}
    answer = json_post(client, "/login/step-up/passkey", body, token=token)
    assert answer.json() == {"redirect": "/account"}
    assert 'data-testid="session-level">Mức 2' in client.get("/account").text


def test_a_level_1_account_cannot_step_up(client, session):
    account = active_account(session, citizen(session))
    enrol_totp(session, account)
    session.commit()
    sign_in(client, account)
    page = client.get("/login/step-up", params={"next": "/account"})
    assert page.status_code == 403 and 'data-testid="level-insufficient"' in page.text
    assert account.totp_secret
    code = pyotp.TOTP(totp.secret_of(account)).at(utcnow() + timedelta(seconds=30))
    answer = post(
        client, "/login/step-up", {"code": code, "next": "/account"}, token_from="/account"
    )
    assert answer.status_code == 403
    assert 'data-code="identity.level_insufficient"' in answer.text
    assert 'data-testid="session-level">Mức 1' in client.get("/account").text


def test_step_up_needs_a_signed_in_browser(client):
    answer = client.get("/login/step-up", params={"next": "/account"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


def test_my_account_lists_who_read_my_record(client, session):
    c = citizen(session)
    account = active_account(session, c)
    clerk = make_actor(Role.REGISTRY_CLERK, name="Cán bộ Lê Văn Tám")
    registry.get_citizen(session, c.pid, actor=clerk, purpose="residence")
    stranger = citizen(session, "Phạm Thị Hoa", sex="F")
    registry.get_citizen(session, stranger.pid, actor=clerk, purpose="inspection")
    session.commit()
    sign_in(client, account)
    page = client.get("/account").text
    log = page.split('data-testid="access-log"')[1].split("</table>")[0]
    assert "Cán bộ Lê Văn Tám" in log and "Quản lý cư trú" in log
    assert "Thanh tra, kiểm tra" not in log  # someone else's record is not in my list


def test_a_guardian_registers_a_child_under_14_from_a_level_2_session(client, session):
    parent = citizen(session, "Nguyễn Văn Cha")
    child = citizen(session, "Nguyễn Văn Con", birth_date=date(2018, 3, 3))
    household(session, parent, (child, "child"))
    account = level2_account(session, parent)
    enrol_totp(session, account)
    session.commit()
    sign_in(client, account)
    form = {"pid": child.pid, "full_name": child.full_name, "birth_date": "03/03/2018"}
    answer = post(client, "/account/children", form, token_from="/account/children")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login/step-up")
    assert account.totp_secret
    code = pyotp.TOTP(totp.secret_of(account)).at(utcnow() + timedelta(seconds=30))
    post(
        client,
        "/login/step-up",
        {"code": code, "next": "/account/children"},
        token_from="/login/step-up",
    )
    answer = post(
        client,
        "/account/children",
        {**form, "full_name": "Nguyễn Văn Khác"},
        token_from="/account/children",
    )
    assert error_of(answer.text)[:2] == ("identity.name_mismatch", "full_name")
    answer = post(client, "/account/children", form, token_from="/account/children")
    assert answer.status_code == 303
    assert child.full_name in client.get("/account/children").text
    session.expire_all()
    registered = session.scalars(select(Account).where(Account.citizen_pid == child.pid)).one()
    assert (registered.kind, registered.guardian_id) == ("dependant", account.id)


@pytest.mark.parametrize("path", ["/account", "/account/children"])
def test_account_pages_need_a_signed_in_browser(client, path):
    answer = client.get(path, follow_redirects=False)
    assert (
        answer.status_code == 303
        and answer.headers["location"] == f"/login?next={path.replace('/', '%2F')}"
    )


def test_a_configured_passkey_origin_decides_not_the_host_header(app, client, session, monkeypatch):
    """Behind a proxy the site's origin is configured: the request's Host header no longer
    decides which origin and RP ID a passkey response must name."""
    monkeypatch.setattr(app.state.settings, "identity_passkey_origin", "https://id.dancu.test/")
    account = active_account(session, citizen(session))
    session.commit()
    sign_in(client, account)
    options = json_post(client, "/account/passkeys/options")
    assert json.loads(options.text)["rp"]["id"] == "id.dancu.test"
    local = SoftAuthenticator("testserver", ORIGIN)  # what a request's own origin would give
    answer = json_post(
        client, "/account/passkeys", {"credential": local.create(options.text), "name": "x"}
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "passkey.invalid")
    site = SoftAuthenticator("id.dancu.test", "https://id.dancu.test")
    options = json_post(client, "/account/passkeys/options")
    answer = json_post(
        client, "/account/passkeys", {"credential": site.create(options.text), "name": "y"}
    )
    assert answer.status_code == 200


def test_withdraw_the_consent_given_to_a_service(client, session):
    from dancu.identity.oidc.models import Consent
    from tests.identity.oidc_helpers import register as register_client

    account = active_account(session, citizen(session))
    register_client(session, "cong-dvc", "client_secret_basic")
    session.add(Consent(account_id=account.id, client_id="cong-dvc", scopes=["openid", "profile"]))
    session.commit()
    sign_in(client, account)
    page = client.get("/account").text
    row = re.search(r'data-testid="consent-row"><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td>', page)
    assert row and row.groups() == (  # what is shared, in words: no scope name on the page
        "RP cong-dvc",
        "Một mã định danh tài khoản của bạn chỉ dùng cho dịch vụ này; Họ, chữ đệm và tên;"
        " Ngày, tháng, năm sinh; Giới tính",
    )
    confirm = "/account/consents/cong-dvc/revoke"
    assert f'href="{confirm}" data-testid="revoke-consent"' in page  # a link to the question
    asked = client.get(confirm)
    assert asked.status_code == 200
    assert re.search(r'data-testid="revoke-service">([^<]*)<', asked.text).group(1) == (  # type: ignore[union-attr]
        "RP cong-dvc sẽ không còn nhận dữ liệu của bạn từ tài khoản định danh điện tử."
    )
    assert 'href="/account#consents" data-testid="revoke-cancel"' in asked.text
    answer = post(client, confirm, {"confirm": "yes"}, token_from=confirm)
    assert (answer.status_code, answer.headers["location"]) == (303, "/account#consents")
    assert 'data-testid="consent-row"' not in client.get("/account").text
    again = post(client, confirm, {"confirm": "yes"}, token_from="/account")
    assert again.status_code == 404
    assert client.get(confirm).status_code == 404


def test_withdrawing_a_consent_asks_first(client, session):
    from dancu.identity.oidc.models import Consent
    from tests.identity.oidc_helpers import register as register_client

    account = active_account(session, citizen(session))
    register_client(session, "cong-dvc", "client_secret_basic")
    session.add(Consent(account_id=account.id, client_id="cong-dvc", scopes=["openid"]))
    session.commit()
    sign_in(client, account)
    answer = post(client, "/account/consents/cong-dvc/revoke", {}, token_from="/account")
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        "/account/consents/cong-dvc/revoke",
    )
    assert 'data-testid="consent-row"' in client.get("/account").text  # nothing withdrawn


def test_an_officer_whose_session_was_revoked_elsewhere_loses_the_registry_pages(app, session):
    from dancu.common.access import SYSTEM_ACTOR
    from dancu.identity.accounts import officers

    officer = active_account(session, citizen(session))
    officers.grant_role(session, officer, Role.REGISTRY_CLERK, "66", actor=SYSTEM_ACTOR)
    session.commit()
    office, phone = TestClient(app), TestClient(app)
    sign_in(office, officer)
    assert office.get("/registry/search", follow_redirects=False).status_code == 200
    sign_in(phone, officer)
    [office_sid] = [sid for sid in registry_sessions(session, officer) if sid != _sid(phone)]
    answer = post(phone, f"/account/sessions/{office_sid}/revoke", {}, token_from="/account")
    assert answer.status_code == 303, answer.text
    refused = office.get("/registry/search", follow_redirects=False)
    assert (refused.status_code, refused.headers["location"].split("?")[0]) == (303, "/login")
    assert phone.get("/registry/search", follow_redirects=False).status_code == 200


def _sid(client: TestClient) -> str:
    """The login session id behind a TestClient's cookie (Starlette signs, not encrypts)."""
    import base64

    cookie = client.cookies["dancu_session"].split(".")[0]
    data = json.loads(base64.b64decode(cookie + "=" * (-len(cookie) % 4)))
    return data["login_sid"]
