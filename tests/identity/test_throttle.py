"""Throttling password sign-in: per client across all typed numbers (password spraying), and
per typed number a delay that grows instead of a lock-out a stranger could trigger.

The clock is passed in (``now=``): nothing sleeps."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dancu.db import utcnow
from dancu.identity.auth import signin, throttle
from dancu.settings import get_settings
from tests.identity.helpers import PASSWORD, active_account, citizen

SPRAYER, OWNER = "203.0.113.7", "198.51.100.9"


def answer(attempt: signin.Attempt) -> tuple[str, int | None]:
    """The code of a refusal and its Retry-After seconds ('ok' when signed in)."""
    if attempt.error is None:
        return "ok", None
    return attempt.error.code, attempt.error.params.get("retry_after")


def try_password(
    session: Session, pid: str, password: str, ip: str, now: datetime
) -> tuple[str, int | None]:
    return answer(signin.check_password(session, pid, password, ip=ip, now=now))


def spray(session: Session, count: int, ip: str, now: datetime) -> list[str]:
    """One wrong password on each of ``count`` different (unknown) numbers."""
    return [
        try_password(session, f"0660900{i:05d}", "Password1!", ip, now)[0] for i in range(count)
    ]


def test_spraying_twenty_numbers_from_one_client_is_throttled(session: Session) -> None:
    limit = get_settings().identity_client_failures
    account = active_account(session, citizen(session))
    now = utcnow()
    codes = spray(session, limit + 5, SPRAYER, now)
    assert codes == ["identity.login_failed"] * limit + ["identity.client_throttled"] * 5
    # blocked: even a right password from that client is not checked, and says when to retry
    block = get_settings().identity_client_block_seconds
    attempt = signin.check_password(session, account.citizen_pid, PASSWORD, ip=SPRAYER, now=now)
    assert attempt.error is not None and attempt.error.status_code == 429
    assert attempt.error.params["retry_after"] == block
    assert attempt.error.headers == {"Retry-After": str(block)}  # type: ignore[attr-defined]
    # the block ends
    later = now + timedelta(seconds=block)
    assert try_password(session, account.citizen_pid, PASSWORD, SPRAYER, later) == ("ok", None)


def test_two_clients_are_independent_but_one_ipv6_network_is_one_client(session: Session) -> None:
    limit = get_settings().identity_client_failures
    account = active_account(session, citizen(session))
    now = utcnow()
    spray(session, limit + 1, SPRAYER, now)
    assert try_password(session, account.citizen_pid, PASSWORD, OWNER, now) == ("ok", None)
    spray(session, limit, "2001:db8:1:2::1", now)
    same_64 = try_password(session, account.citizen_pid, PASSWORD, "2001:db8:1:2:ffff::9", now)
    assert same_64[0] == "identity.client_throttled"
    other_64 = try_password(session, account.citizen_pid, PASSWORD, "2001:db8:1:3::1", now)
    assert other_64 == ("ok", None)


def test_a_clients_block_grows_and_only_failures_count(session: Session) -> None:
    s = get_settings()
    limit, block = s.identity_client_failures, s.identity_client_block_seconds
    account = active_account(session, citizen(session))
    now = utcnow()
    spray(session, limit - 1, SPRAYER, now)
    for _ in range(3 * limit):  # many people behind one address sign in: no failure counted
        assert try_password(session, account.citizen_pid, PASSWORD, SPRAYER, now)[0] == "ok"
    assert spray(session, 2, SPRAYER, now) == ["identity.login_failed", "identity.client_throttled"]
    after_first = now + timedelta(seconds=block)
    codes = spray(session, limit + 1, SPRAYER, after_first)
    assert codes[-2:] == ["identity.login_failed", "identity.client_throttled"]
    second = try_password(session, "066090000001", "x", SPRAYER, after_first)
    assert second == ("identity.client_throttled", 2 * block)


def test_a_strangers_wrong_tries_only_delay_the_owner(session: Session) -> None:
    s = get_settings()
    free, first = s.identity_signin_free_failures, s.identity_signin_delay_seconds
    victim = active_account(session, citizen(session))
    now = utcnow()
    tries = [
        try_password(session, victim.citizen_pid, "guess-xxxx", SPRAYER, now) for _ in range(5)
    ]
    assert tries == [("identity.login_failed", None)] * free
    # right away the owner waits (from anywhere); the right password is not even checked
    assert try_password(session, victim.citizen_pid, PASSWORD, OWNER, now) == (
        "identity.signin_delayed",
        first,
    )
    later = now + timedelta(seconds=first)
    assert try_password(session, victim.citizen_pid, PASSWORD, OWNER, later) == ("ok", None)
    # signed in: the number has its free tries again
    assert try_password(session, victim.citizen_pid, "typo-xxxx", OWNER, later)[0] == (
        "identity.login_failed"
    )


def test_the_delay_grows_to_its_cap_and_tries_while_waiting_are_not_counted(
    session: Session,
) -> None:
    s = get_settings()
    account = active_account(session, citizen(session))
    now = utcnow()
    for _ in range(s.identity_signin_free_failures):
        try_password(session, account.citizen_pid, "guess-xxxx", SPRAYER, now)
    delays = []
    for _ in range(14):
        code, wait = try_password(session, account.citizen_pid, PASSWORD, OWNER, now)
        assert code == "identity.signin_delayed" and wait is not None
        delays.append(wait)
        now += timedelta(seconds=wait)
        assert try_password(session, account.citizen_pid, "guess-xxxx", SPRAYER, now)[0] == (
            "identity.login_failed"
        )
    first, cap = s.identity_signin_delay_seconds, s.identity_signin_delay_max_seconds
    expected = [min(first * 2**k, cap) for k in range(14)]
    assert delays == expected and delays[-1] == cap == 900


def test_an_unknown_number_is_delayed_exactly_like_a_known_one(session: Session) -> None:
    account = active_account(session, citizen(session))
    now = utcnow()

    def story(pid: str) -> list[tuple[str, int | None]]:
        moments = [now] * 7 + [now + timedelta(seconds=2), now + timedelta(seconds=3)]
        return [try_password(session, pid, "guess-xxxx", OWNER, t) for t in moments]

    known, unknown = story(account.citizen_pid), story("066090009999")
    assert known == unknown
    assert [code for code, _ in known] == ["identity.login_failed"] * 5 + [
        "identity.signin_delayed"
    ] * 2 + ["identity.login_failed", "identity.signin_delayed"]


def test_a_number_forgets_failures_after_a_quiet_day(session: Session) -> None:
    account = active_account(session, citizen(session))
    now = utcnow()
    for _ in range(9):  # 5 free, then waits of 2, 4, 8, 16 s
        now += timedelta(seconds=60)
        try_password(session, account.citizen_pid, "guess-xxxx", SPRAYER, now)
    tomorrow = now + throttle.FORGET_AFTER + timedelta(seconds=1)
    assert try_password(session, account.citizen_pid, "typo-xxxx", OWNER, tomorrow)[0] == (
        "identity.login_failed"
    )
    after_typo = try_password(session, account.citizen_pid, PASSWORD, OWNER, tomorrow)
    assert after_typo == ("ok", None)  # one typo after a quiet day: no delay
