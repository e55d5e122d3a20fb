"""Parallel requests with the same code: a TOTP step is accepted once, a code's tries are
never over-spent; parallel password tries never pass a client's or a number's limit. Real
concurrent transactions on the test database (committed, then cleaned up), one thread and
one session each."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from dancu.db import utcnow
from dancu.identity.accounts.models import Account, AccountEvent, OneTimeCode, OutboundMessage
from dancu.identity.auth import otp, signin, totp
from dancu.identity.auth.models import LoginThrottle
from dancu.settings import get_settings

pytestmark = pytest.mark.xdist_group("races")
THREADS = 8
BUSY = "e3q8"  # SQLAlchemy's code for OperationalError (SQLite: database is locked)


@pytest.fixture
def committed(engine: Engine) -> Iterator[tuple[sessionmaker[Session], int]]:
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
    with factory() as s:
        account = Account(
            citizen_pid="066090099999",
            kind="citizen",
            display_name="Race Test",
            level=1,
            status="active",
            phone="+84912000999",
            province_code="66",
            commune_code="24121",
            totp_confirmed_at=utcnow(),
        )
        s.add(account)
        s.flush()
        account.totp_secret = totp.seal_secret(account.id, totp.pyotp.random_base32())
        s.commit()
        account_id = account.id
    yield factory, account_id
    with factory() as s:
        for table in (OneTimeCode, OutboundMessage, AccountEvent):
            s.execute(delete(table).where(table.account_id == account_id))
        s.execute(delete(LoginThrottle))
        s.execute(delete(Account).where(Account.id == account_id))
        s.commit()


def in_parallel(factory: sessionmaker[Session], work: Callable[[Session], object]) -> list[object]:
    barrier, results, lock = threading.Barrier(THREADS), [], threading.Lock()

    def run() -> None:
        with factory() as s:
            barrier.wait()
            try:
                outcome = work(s)
                s.commit()
            except Exception as exc:  # a lock timeout or serialization error is a refusal too
                s.rollback()
                outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_one_totp_code_sent_in_parallel_is_accepted_once(committed, backend: str) -> None:  # type: ignore[no-untyped-def]
    factory, account_id = committed
    with factory() as s:
        code = totp.current_code(s.get(Account, account_id))  # type: ignore[arg-type]

    def attempt(s: Session) -> object:
        return totp.check(s, s.get(Account, account_id), code)  # type: ignore[arg-type]

    results = in_parallel(factory, attempt)
    refused = [getattr(r, "code", repr(r)) for r in results if r is not None]
    if backend == "postgresql":  # row locks: the others wait, then see the step taken
        assert results.count(None) == 1
        assert refused == ["identity.totp_replay"] * (THREADS - 1), refused
    else:  # SQLite: a reader that tries to write while another writes fails (busy)
        assert results.count(None) <= 1
        assert set(refused) <= {"identity.totp_replay", BUSY}, refused


def test_parallel_guesses_never_spend_more_than_five_tries(committed, backend: str) -> None:  # type: ignore[no-untyped-def]
    factory, account_id = committed
    with factory() as s:
        code = otp.issue(s, s.get(Account, account_id), "login")  # type: ignore[arg-type]
        s.commit()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    results = in_parallel(factory, lambda s: otp.check(s, account_id, "login", wrong))
    codes = sorted(getattr(r, "code", repr(r)) for r in results)
    allowed = {"identity.otp_wrong", "identity.otp_expired", "identity.otp_locked"}
    with factory() as s:
        row = s.query(OneTimeCode).filter_by(account_id=account_id).one()
    assert row.used_at is None
    if backend == "postgresql":
        # Five tries were spent (four "wrong", the fifth "too many"); the rest found none left.
        assert codes.count("identity.otp_wrong") == 4 and set(codes) <= allowed, codes
        assert row.attempts == 5
    else:  # SQLite: some writers fail busy; never more tries than the limit
        assert set(codes) <= allowed | {BUSY}, codes
        assert codes.count("identity.otp_wrong") <= row.attempts <= 5, (codes, row.attempts)


def _code(result: object) -> str:
    error = getattr(result, "error", None)
    return "ok" if error is None and hasattr(result, "error") else getattr(error, "code", BUSY)


def test_parallel_password_tries_from_one_client_stop_at_its_limit(committed, backend: str) -> None:  # type: ignore[no-untyped-def]
    factory, _ = committed
    limit, ip = get_settings().identity_client_failures, "203.0.113.50"
    with factory() as s:
        for i in range(limit - 3):
            signin.check_password(s, f"06609100{i:04d}", "wrong-password", ip=ip)
        s.commit()
    numbers = iter(range(100))

    def attempt(s: Session) -> object:
        return signin.check_password(s, f"06609200{next(numbers):04d}", "wrong-password", ip=ip)

    codes = sorted(_code(r) for r in in_parallel(factory, attempt))
    if backend == "postgresql":  # three tries were left: three checked, the rest refused
        assert codes == ["identity.client_throttled"] * 5 + ["identity.login_failed"] * 3, codes
    else:  # SQLite: some writers fail busy; never more tries than the limit
        assert codes.count("identity.login_failed") <= 3, codes
        assert set(codes) <= {"identity.client_throttled", "identity.login_failed", BUSY}


def test_parallel_tries_on_one_number_get_one_past_the_free_ones(committed, backend: str) -> None:  # type: ignore[no-untyped-def]
    factory, account_id = committed
    free = get_settings().identity_signin_free_failures
    with factory() as s:
        pid = s.get(Account, account_id).citizen_pid  # type: ignore[union-attr]
        for i in range(free - 1):
            signin.check_password(s, pid, "wrong-password", ip=f"192.0.2.{i}")
        s.commit()
    addresses = iter(range(100, 200))

    def attempt(s: Session) -> object:  # each from its own address: only the number limits
        return signin.check_password(s, pid, "wrong-password", ip=f"192.0.2.{next(addresses)}")

    codes = sorted(_code(r) for r in in_parallel(factory, attempt))
    if backend == "postgresql":  # the last free try is checked; it starts the delay
        assert codes == ["identity.login_failed"] + ["identity.signin_delayed"] * 7, codes
    else:
        assert codes.count("identity.login_failed") <= 1, codes
        assert set(codes) <= {"identity.signin_delayed", "identity.login_failed", BUSY}
