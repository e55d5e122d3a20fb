"""Signing in: a password delay that reveals nothing, code lock-outs, one-time codes, and
TOTP without replay."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy.orm import Session

from dancu.db import utcnow
from dancu.identity.auth import otp, passwords, signin, throttle, totp
from tests.identity.helpers import PASSWORD, active_account, citizen, last_code


def outcome(attempt: signin.Attempt) -> tuple[str, str, str | None]:
    assert attempt.error is not None
    return type(attempt.error).__name__, attempt.error.code, attempt.error.message


def test_right_password_then_second_factor(session: Session) -> None:
    account = active_account(session, citizen(session))
    attempt = signin.check_password(session, account.citizen_pid, PASSWORD)
    assert attempt.error is None and attempt.account is account
    assert signin.second_factors(account) == ("otp",)
    signin.send_login_code(session, account)
    code = last_code(session, account.phone)
    assert signin.check_second_factor(session, account, "otp", code) is None
    refusal = signin.check_second_factor(session, account, "otp", code)  # used up
    assert refusal is not None and refusal.code == "identity.otp_expired"


def test_brute_force_is_delayed_and_an_unknown_id_identically(session: Session) -> None:
    account = active_account(session, citizen(session))
    unknown = "066090009999"
    now = utcnow()

    def tries(pid: str) -> list[tuple[str, str, str | None]]:
        return [
            outcome(signin.check_password(session, pid, f"guess-{i}-xxxx", now=now))
            for i in range(6)
        ]

    known_answers, unknown_answers = tries(account.citizen_pid), tries(unknown)
    assert known_answers == unknown_answers  # same errors, same moment of the delay
    failed = ("NotAuthenticated", "identity.login_failed", signin.FAILED)
    delayed = ("TooManyAttempts", "identity.signin_delayed", signin.DELAYED)
    assert known_answers == [failed] * 5 + [delayed]
    # Waiting: even the right password is refused, with the same answer.
    right = signin.check_password(session, account.citizen_pid, PASSWORD, now=now)
    assert outcome(right) == delayed


def test_code_lock_expires_and_doubles(session: Session) -> None:
    key = throttle.key("recovery", "066090001234")
    now = utcnow()
    for _ in range(4):
        assert throttle.fail(session, key, now=now) is None
    first = throttle.fail(session, key, now=now)
    assert first is not None and first - now == timedelta(seconds=900)
    later = now + timedelta(seconds=901)
    assert throttle.locked_until(session, key, now=later) is None
    for _ in range(4):
        throttle.fail(session, key, now=later)
    second = throttle.fail(session, key, now=later)
    assert second is not None and second - later == timedelta(seconds=1800)


def test_dependant_and_pending_accounts_cannot_sign_in(session: Session) -> None:
    from dancu.identity.accounts import service as accounts
    from tests.identity.helpers import registration

    c = citizen(session)
    pending = accounts.register(session, registration(c))
    attempt = signin.check_password(session, pending.citizen_pid, PASSWORD)
    assert outcome(attempt)[1] == "identity.login_failed"


def test_wrong_code_then_attempt_limit_makes_the_code_invalid(session: Session) -> None:
    account = active_account(session, citizen(session))
    code = otp.issue(session, account, "login")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    codes = [otp.check(session, account.id, "login", wrong) for _ in range(5)]
    assert [c.code for c in codes if c] == ["identity.otp_wrong"] * 4 + ["identity.otp_expired"]
    late = otp.check(session, account.id, "login", code)  # the right code, too late
    assert late is not None and late.code in ("identity.otp_expired", "identity.otp_locked")


def test_expired_code_refused(session: Session) -> None:
    account = active_account(session, citizen(session))
    code = otp.issue(session, account, "login")
    later = utcnow() + timedelta(seconds=301)
    refusal = otp.check(session, account.id, "login", code, now=later)
    assert refusal is not None and refusal.code == "identity.otp_expired"


def test_codes_are_stored_hashed(session: Session) -> None:
    from sqlalchemy import select

    from dancu.identity.accounts.models import OneTimeCode

    account = active_account(session, citizen(session))
    code = otp.issue(session, account, "login")
    stored = session.scalars(select(OneTimeCode.code_hash)).all()
    assert stored and all(code not in h and len(h) == 64 for h in stored)


def test_otp_attempts_are_limited_per_account_across_new_codes(session: Session) -> None:
    account = active_account(session, citizen(session))
    for _ in range(5):  # a fresh code each time: the per-code limit never triggers
        code = otp.issue(session, account, "login")
        wrong = otp.check(session, account.id, "login", f"{(int(code) + 1) % 10**6:06d}")
        assert wrong is not None and wrong.code == "identity.otp_wrong"
    locked = otp.check(session, account.id, "login", code)  # the right (live) code
    assert locked is not None and locked.code == "identity.otp_locked"


def test_code_sends_are_rate_limited(session: Session) -> None:
    from dancu.common.errors import Conflict
    from dancu.identity.accounts import messages

    account = active_account(session, citizen(session))
    now = utcnow()
    for _ in range(5):
        otp.issue(session, account, "login", now=now)
    with pytest.raises(Conflict) as caught:
        otp.issue(session, account, "login", now=now)
    assert caught.value.code == "identity.otp_too_many_sends"
    sent = [m for m in messages.latest(session, recipient=account.phone) if "nhap" in m.body]
    assert len(sent) == 5
    otp.issue(session, account, "login", now=now + timedelta(minutes=16))  # the window moved


def test_totp_enrolment_needs_a_valid_code_and_replay_is_refused(session: Session) -> None:
    account = active_account(session, citizen(session))
    uri = totp.begin_enrolment(session, account)
    assert uri.startswith("otpauth://totp/") and not totp.enabled(account)
    bad = totp.confirm_enrolment(
        session, account, "000000" if totp.current_code(account) != "000000" else "111111"
    )
    assert bad is not None and bad.code == "identity.otp_wrong" and not totp.enabled(account)
    now = utcnow()
    code = totp.current_code(account, now=now)
    assert totp.confirm_enrolment(session, account, code, now=now) is None
    assert totp.enabled(account) and signin.second_factors(account) == ("totp", "otp")
    replay = totp.check(session, account, code, now=now + timedelta(seconds=5))
    assert replay is not None and replay.code == "identity.totp_replay"
    nxt = now + timedelta(seconds=30)
    assert totp.check(session, account, totp.current_code(account, now=nxt), now=nxt) is None
    # An older (still in the drift window) code is a replay too.
    old = pyotp.TOTP(totp.secret_of(account)).at(now)
    again = totp.check(session, account, old, now=nxt)
    assert again is not None and again.code == "identity.totp_replay"


def test_rehash_on_login_when_parameters_change(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dancu.settings import get_settings

    account = active_account(session, citizen(session))
    before = account.password_hash
    assert before is not None and "t=2" in before
    monkeypatch.setattr(get_settings(), "argon2_time_cost", 3)
    assert passwords.needs_rehash(before)
    assert signin.check_password(session, account.citizen_pid, PASSWORD).error is None
    assert account.password_hash != before and "t=3" in (account.password_hash or "")


def test_sessions_listed_and_revoked_by_holder_only(session: Session) -> None:
    from dancu.common.errors import NotFound
    from dancu.identity.auth.session import begin_login, current_login
    from tests.identity.test_login import FakeRequest

    a = active_account(session, citizen(session))
    b = active_account(session, citizen(session, "Trần Thị Bình", sex="F"))
    req_a, req_b = FakeRequest(), FakeRequest()
    login_a = begin_login(req_a.session, session, a, ("pwd", "otp"), "10.0.0.1", "Firefox")
    login_b = begin_login(req_b.session, session, b, ("pwd", "otp"), "10.0.0.2", "Chrome")
    assert [s.id for s in signin.list_sessions(session, a.id)] == [login_a.session_id]
    with pytest.raises(NotFound):
        signin.revoke_session(session, a.id, login_b.session_id)
    assert current_login(req_b.session, session) is not None
    signin.revoke_session(session, a.id, login_a.session_id)
    assert (
        current_login(req_a.session, session) is None and signin.list_sessions(session, a.id) == []
    )


def test_idle_counters_are_purged_but_locks_are_kept(session: Session) -> None:
    now = utcnow()
    idle, locked = throttle.key("login", "1"), throttle.key("login", "2")
    throttle.fail(session, idle, now=now - timedelta(days=3))
    for _ in range(5):
        throttle.fail(session, locked, now=now - timedelta(days=3))
    session.get(throttle.LoginThrottle, locked).locked_until = now + timedelta(hours=1)  # type: ignore[union-attr]
    session.get(throttle.LoginThrottle, idle).updated_at = now - timedelta(days=3)  # type: ignore[union-attr]
    session.flush()
    assert throttle.purge(session, before=now - timedelta(days=1)) == 1
    assert throttle.locked_until(session, locked, now=now) is not None
