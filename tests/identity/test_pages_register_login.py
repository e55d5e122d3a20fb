"""The identity pages over HTTP: registration with the phone code, sign-in with a second
factor, the waits after failed sign-ins, recovery, sign-out, and the CSRF guard, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.db import utcnow
from dancu.identity.accounts.models import Account
from dancu.identity.auth import totp
from dancu.identity.auth.models import LoginThrottle
from tests.identity.helpers import PASSWORD, active_account, citizen, level2_account, png
from tests.identity.page_helpers import csrf, enrol_totp, error_of, post, sign_in, sink_code


def register_form(c, **changes: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    data = {
        "pid": c.pid,
        "full_name": c.full_name,
        "birth_date": c.birth_date.strftime("%d/%m/%Y"),
        "phone": "0912 345 678",
        "email": "an@example.vn",
        "password": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(changes)
    return data


def submit_registration(client: TestClient, c, **changes: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/register",
        data={**register_form(c, **changes), "csrf_token": csrf(client, "/register")},
        files={"photo": ("me.png", png(), "image/png")},
        follow_redirects=False,
    )


def account_of(session: Session, pid: str) -> Account | None:
    session.expire_all()
    return session.scalars(select(Account).where(Account.citizen_pid == pid)).first()


def test_register_confirm_the_phone_then_sign_in_with_the_sms_code(client, session):
    c = citizen(session)
    session.commit()
    answer = submit_registration(client, c)
    assert answer.status_code == 303 and answer.headers["location"] == "/register/confirm"
    assert "Xác nhận số điện thoại" in client.get("/register/confirm").text

    code = sink_code(client, "+84912345678")
    answer = post(client, "/register/confirm", {"code": code}, token_from="/register/confirm")
    assert answer.status_code == 303 and answer.headers["location"] == "/register/done"
    account = account_of(session, c.pid)
    assert account is not None and (account.status, account.level) == ("active", 1)

    sign_in(client, account)
    page = client.get("/account")
    assert page.status_code == 200
    assert 'data-testid="account-level">Mức 1<' in page.text
    assert 'data-testid="my-account"' in page.text  # the header knows who is signed in
    assert 'data-testid="sign-in"' not in page.text
    assert c.full_name in page.text


def test_a_wrong_phone_code_is_refused_and_counted(client, session):
    c = citizen(session)
    session.commit()
    submit_registration(client, c)
    right = sink_code(client, "+84912345678")
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    answer = post(client, "/register/confirm", {"code": wrong}, token_from="/register/confirm")
    assert answer.status_code == 401
    assert error_of(answer.text) == (
        "identity.otp_wrong",
        "code",
        f"Mã xác nhận: {_vi('identity.otp_wrong')}",
    )
    account = account_of(session, c.pid)
    assert account is not None and account.status == "pending"


def _vi(code: str) -> str:
    from dancu.web.i18n import translate

    return translate("vi", code)


def test_registration_that_does_not_match_the_registry_names_the_field(client, session):
    c = citizen(session)
    session.commit()
    answer = submit_registration(client, c, full_name="Nguyễn Văn Bình")
    assert answer.status_code == 422
    code, field, text = error_of(answer.text)
    assert (code, field) == ("identity.name_mismatch", "full_name")
    assert text.startswith("Họ và tên:")
    assert 'value="Nguyễn Văn Bình"' in answer.text  # the form keeps what was typed
    assert account_of(session, c.pid) is None


def test_a_missing_field_and_a_bad_date_are_named_in_vietnamese(client, session):
    c = citizen(session)
    session.commit()
    answer = submit_registration(client, c, phone="  ")
    assert error_of(answer.text) == (
        "form.required",
        "phone",
        "Số điện thoại: Trường này là bắt buộc.",
    )
    answer = submit_registration(client, c, birth_date="31/02/1990")
    assert answer.status_code == 422
    assert error_of(answer.text)[:2] == ("date.invalid", "birth_date")
    answer = submit_registration(client, c, password2="something else")
    assert error_of(answer.text)[:2] == ("identity.password_repeat", "password2")
    assert account_of(session, c.pid) is None


def test_the_pages_switch_to_english(client):
    page = client.get("/login", params={"lang": "en"})
    assert "<h1>Sign in with e-ID</h1>" in page.text
    assert (
        "<h1>Đăng nhập bằng tài khoản định danh điện tử</h1>"
        in client.get("/login", params={"lang": "vi"}).text
    )


def test_wrong_passwords_then_the_wait_with_when_to_retry(client, session, monkeypatch):
    from dancu.settings import get_settings

    monkeypatch.setattr(get_settings(), "identity_signin_delay_seconds", 60)  # a slow machine
    account = active_account(session, citizen(session))
    session.commit()
    answers = [
        post(client, "/login", {"pid": account.citizen_pid, "password": f"wrong-{i}-password"})
        for i in range(6)
    ]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert error_of(answers[0].text)[:2] == ("identity.login_failed", "password")
    code, _, text = error_of(answers[5].text)
    assert code == "identity.signin_delayed" and text == _vi("identity.signin_delayed")
    assert answers[5].headers["retry-after"] in ("60", "59")
    assert 'data-testid="retry-at"' in answers[5].text
    # waiting: the right password is refused too, and no second factor is offered
    answer = post(client, "/login", {"pid": account.citizen_pid, "password": PASSWORD})
    assert answer.status_code == 429 and error_of(answer.text)[0] == "identity.signin_delayed"
    assert client.get("/login/second-factor", follow_redirects=False).status_code == 303


def test_one_client_spraying_many_numbers_is_answered_429(client, session):
    from dancu.settings import get_settings

    settings = get_settings()
    answers = [
        post(client, "/login", {"pid": f"0660900{i:05d}", "password": "Password1!"})
        for i in range(settings.identity_client_failures + 1)
    ]
    assert [a.status_code for a in answers[-2:]] == [401, 429]
    code, field, text = error_of(answers[-1].text)
    assert (code, field) == ("identity.client_throttled", "")
    assert text == _vi("identity.client_throttled")
    assert answers[-1].headers["retry-after"] == str(settings.identity_client_block_seconds)
    assert 'data-testid="retry-at"' in answers[-1].text


def test_a_wrong_second_factor_does_not_sign_in(client, session):
    account = active_account(session, citizen(session))
    session.commit()
    post(client, "/login", {"pid": account.citizen_pid, "password": PASSWORD})
    right = sink_code(client, account.phone or "")
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    answer = post(
        client,
        "/login/second-factor",
        {"method": "otp", "code": wrong},
        token_from="/login/second-factor",
    )
    assert answer.status_code == 401 and error_of(answer.text)[0] == "identity.otp_wrong"
    assert client.get("/account", follow_redirects=False).headers["location"].startswith("/login")


def test_sign_in_with_the_authenticator_app(client, session):
    account = active_account(session, citizen(session))
    enrol_totp(session, account)
    session.commit()
    post(client, "/login", {"pid": account.citizen_pid, "password": PASSWORD, "next": "/account"})
    page = client.get("/login/second-factor")
    assert 'data-testid="totp-form"' in page.text
    assert account.totp_secret
    code = pyotp.TOTP(totp.secret_of(account)).at(utcnow() + timedelta(seconds=30))
    answer = post(
        client,
        "/login/second-factor",
        {"method": "totp", "code": code},
        token_from="/login/second-factor",
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/account"
    assert client.get("/account").status_code == 200


def test_a_totp_secret_sealed_under_another_key_is_refused_not_a_500(client, session):
    account = active_account(session, citizen(session))
    enrol_totp(session, account)
    secret = pyotp.random_base32()  # as if enrolled while another DANCU_SECRET_KEY was set
    account.totp_secret = totp.seal_secret(account.id, secret, secret_key="another-" * 6)
    session.commit()
    post(client, "/login", {"pid": account.citizen_pid, "password": PASSWORD, "next": "/account"})
    answer = post(
        client,
        "/login/second-factor",
        {"method": "totp", "code": pyotp.TOTP(secret).now()},
        token_from="/login/second-factor",
    )
    assert answer.status_code == 401, answer.text
    code, field, text = error_of(answer.text)
    assert (code, field) == ("identity.totp_unreadable", "code")
    assert "ứng dụng xác thực" in text
    assert client.get("/account", follow_redirects=False).headers["location"].startswith("/login")


def test_an_open_redirect_is_not_followed_after_sign_in(client, session):
    account = active_account(session, citizen(session))
    session.commit()
    post(
        client,
        "/login",
        {"pid": account.citizen_pid, "password": PASSWORD, "next": "https://evil.example/"},
    )
    code = sink_code(client, account.phone or "")
    answer = post(
        client,
        "/login/second-factor",
        {"method": "otp", "code": code},
        token_from="/login/second-factor",
    )
    assert answer.headers["location"] == "/"


def test_sign_out_ends_the_session_and_needs_the_csrf_token(client, session):
    account = active_account(session, citizen(session))
    session.commit()
    sign_in(client, account)
    assert client.post("/logout", follow_redirects=False).status_code == 403  # forged
    assert client.get("/account").status_code == 200  # still signed in
    answer = post(client, "/logout", {}, token_from="/account")
    assert answer.status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_recovery_sets_a_new_password_and_drops_level_2(client, session):
    c = citizen(session)
    account = level2_account(session, c)
    session.commit()
    answer = post(
        client, "/recover", {"pid": c.pid, "birth_date": "17/05/1990"}, token_from="/recover"
    )
    assert answer.status_code == 200 and 'data-testid="recover-finish"' in answer.text
    code = sink_code(client, account.phone or "")
    new = "a brand new passphrase"
    answer = post(
        client,
        "/recover/finish",
        {"code": code, "password": new, "password2": new},
        token_from="/recover",
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert "Mật khẩu mới đã được đặt" in client.get(answer.headers["location"]).text
    refreshed = account_of(session, c.pid)
    assert refreshed is not None and refreshed.level == 1
    answer = post(client, "/login", {"pid": c.pid, "password": PASSWORD})
    assert error_of(answer.text)[0] == "identity.login_failed"
    answer = post(client, "/login", {"pid": c.pid, "password": new})
    assert answer.headers["location"] == "/login/second-factor"


def test_recovery_answers_the_same_for_unknown_data(client, session):
    answer = post(
        client,
        "/recover",
        {"pid": "066090009999", "birth_date": "01/01/1990"},
        token_from="/recover",
    )
    assert answer.status_code == 200 and 'data-testid="recover-finish"' in answer.text


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client, session):
    account = active_account(session, citizen(session))
    session.commit()
    client.get("/login")  # the session has a token, the attacker's form does not
    before = session.scalar(select(func.count()).select_from(LoginThrottle))
    for data in (
        {"pid": account.citizen_pid, "password": "wrong-password-1"},
        {
            "pid": account.citizen_pid,
            "password": "wrong-password-1",
            "csrf_token": "forged-token-forged-token-forged-token",
        },
    ):
        answer = client.post("/login", data=data, follow_redirects=False)
        assert answer.status_code == 403
        assert 'data-code="csrf.invalid"' in answer.text or "csrf.invalid" in answer.text
    assert session.scalar(select(func.count()).select_from(LoginThrottle)) == before
    # and a registration without the token creates nothing
    c = citizen(session)
    session.commit()
    photo = {"photo": ("me.png", png(), "image/png")}
    answer = client.post("/register", data=register_form(c), files=photo, follow_redirects=False)
    assert answer.status_code == 403 and account_of(session, c.pid) is None


def test_the_development_message_sink_is_off_without_dev_login(factory):  # type: ignore[no-untyped-def]
    from dancu.app import create_app
    from dancu.db.uow import unit_of_work
    from dancu.settings import get_settings
    from dancu.web import deps

    app = create_app(get_settings().model_copy(update={"dev_login": False}))

    def test_session():  # type: ignore[no-untyped-def]
        with unit_of_work(factory) as s:
            yield s

    app.dependency_overrides[deps.db_session] = test_session
    assert TestClient(app).get("/dev/messages").status_code == 404


def test_a_newcomer_of_the_demo_is_told_where_the_accounts_and_the_sms_codes_are(
    client, session, factory
):  # type: ignore[no-untyped-def]
    """With the development sign-in, the login page says where the demo accounts and their
    password are, and the second factor where the SMS code is (a newcomer clicking through
    the demo had neither); without it, neither hint is shown."""
    from dancu.app import create_app
    from dancu.db.uow import unit_of_work
    from dancu.settings import get_settings
    from dancu.web import deps

    login = client.get("/login").text
    assert 'data-testid="dev-accounts-hint"' in login and "dancu-demo-2026" in login
    account = active_account(session, citizen(session))
    session.commit()
    post(client, "/login", {"pid": account.citizen_pid, "password": PASSWORD})
    factor = client.get("/login/second-factor").text
    assert 'data-testid="dev-messages-hint"' in factor and 'href="/dev/messages"' in factor
    production = create_app(get_settings().model_copy(update={"dev_login": False}))

    def test_session():  # type: ignore[no-untyped-def]
        with unit_of_work(factory) as s:
            yield s

    production.dependency_overrides[deps.db_session] = test_session
    assert "dev-accounts-hint" not in TestClient(production).get("/login").text


def _text_of(page: str, testid: str) -> str:
    import re

    found = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', page)
    assert found, f"no {testid}"
    return found.group(1)


def test_the_second_factor_page_says_where_the_code_was_sent(client, session):
    account = active_account(session, citizen(session), phone="0912 345 678")
    session.commit()
    answer = post(client, "/login", {"pid": account.citizen_pid, "password": PASSWORD})
    assert answer.headers["location"] == "/login/second-factor"
    page = client.get("/login/second-factor").text
    assert _text_of(page, "code-sent") == (
        "Chúng tôi đã gửi mã qua SMS đến số điện thoại ******5678 của bạn."
        " Hãy nhập mã vào ô dưới đây."
    )
    assert "0912345678" not in page and "+84912345678" not in page
    again = post(client, "/login/send-code", {}, token_from="/login/second-factor").text
    assert _text_of(again, "code-sent") == (
        "Chúng tôi đã gửi mã mới qua SMS đến số điện thoại ******5678 của bạn."
    )


def test_with_an_authenticator_app_the_sms_button_names_the_number(client, session):
    account = active_account(session, citizen(session), phone="0912 345 678")
    enrol_totp(session, account)
    session.commit()
    post(client, "/login", {"pid": account.citizen_pid, "password": PASSWORD})
    page = client.get("/login/second-factor").text
    assert 'data-testid="code-sent"' not in page  # nothing was sent: the app comes first
    assert _text_of(page, "send-code") == "Gửi mã qua SMS đến số ******5678"


def test_a_name_typed_without_diacritics_is_refused_saying_how_to_type_it(client, session):
    c = citizen(session)  # Nguyễn Văn An
    session.commit()
    answer = submit_registration(client, c, full_name="Nguyen Van An")
    assert answer.status_code == 422
    code, field, text = error_of(answer.text)
    assert (code, field) == ("identity.name_mismatch", "full_name")
    assert text == (
        "Họ và tên: Họ, chữ đệm và tên không khớp với Cơ sở dữ liệu quốc gia về dân cư."
        " Hãy gõ họ tên có đầy đủ dấu tiếng Việt, đúng như trên thẻ căn cước."
    )
    # what was typed is kept; the photo and the passwords are not, and the page says so
    for name, value in register_form(c, full_name="Nguyen Van An").items():
        if name.startswith("password"):
            assert f'value="{value}"' not in answer.text
        else:
            assert f'value="{value}"' in answer.text
    assert _text_of(answer.text, "reenter") == (
        "Những gì bạn đã nhập được giữ lại, trừ ảnh chân dung và mật khẩu — hai mục này không"
        " bao giờ được lưu lại để bảo vệ bạn: hãy chọn lại ảnh và nhập lại mật khẩu hai lần."
    )
    assert account_of(session, c.pid) is None
