"""Signing in: password, then a second factor; and the holder's list of sessions.

Refusals are *returned* (``Attempt.error``), not raised, because they count failures that
must survive: the boundary commits, then raises the error. Unknown ID numbers, wrong
passwords, accounts without a password and closed accounts all give the same
``identity.login_failed``. Password tries are throttled before the password is checked
(``auth/throttle.py``; docs/identity.md, "Throttling password sign-in"): per client
address (``identity.client_throttled``) and per typed ID number, account or not, after a
few free failures (``identity.signin_delayed``); both answer 429 with when to retry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from dancu.common.errors import DancuError, Forbidden, NotAuthenticated, NotFound
from dancu.db import utcnow
from dancu.identity.accounts import history
from dancu.identity.accounts import repository as repo
from dancu.identity.accounts.models import Account
from dancu.identity.accounts.schemas import LoginSessionOut
from dancu.identity.auth import otp, passwords, throttle, totp
from dancu.identity.auth.session import revoke_sessions
from dancu.identity.errors import IdentityErrorCode

FAILED = "The ID number or the password is wrong"
DELAYED = "Too many failed sign-ins with this ID number; wait a moment, then try again"
THROTTLED = "Too many failed sign-ins from your network; try again later"


class TooManyAttempts(DancuError):
    """Password tries refused for a while (HTTP 429, with ``Retry-After``)."""

    status_code = 429

    def __init__(self, message: str, *, code: str, until: datetime, now: datetime) -> None:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        super().__init__(message, code=code, retry_after=seconds, retry_at=until.isoformat())
        self.retry_at = until
        self.headers = {"Retry-After": str(seconds)}


@dataclass(frozen=True)
class Attempt:
    account: Account | None = None
    error: DancuError | None = None

    def raise_for_error(self) -> Account:
        if self.error is not None:
            raise self.error
        assert self.account is not None
        return self.account


def _failed() -> DancuError:
    return NotAuthenticated(FAILED, code=IdentityErrorCode.LOGIN_FAILED, field="password")


def _refused(session: Session, pid: str, client: str, now: datetime) -> TooManyAttempts | None:
    """Claim this try for the client, then for the typed number (both counted as failed
    until the password proves right); a refusal when either must wait."""
    if (until := throttle.claim_client(session, client, now)) is not None:
        return TooManyAttempts(
            THROTTLED, code=IdentityErrorCode.CLIENT_THROTTLED, until=until, now=now
        )
    if (until := throttle.claim_number(session, pid, now)) is not None:
        return TooManyAttempts(DELAYED, code=IdentityErrorCode.SIGNIN_DELAYED, until=until, now=now)
    return None


def check_password(
    session: Session, pid: str, password: str, *, ip: str = "", now: datetime | None = None
) -> Attempt:
    """The first step: the account when the password is right (a second factor follows).

    While the client or the typed number must wait, the password is not even checked, so
    a right one gives the same answer as a wrong one.
    """
    now = now or utcnow()
    pid = "".join(pid.split())
    number, client = throttle.key("login", pid), throttle.client_key(ip)
    if (refusal := _refused(session, number, client, now)) is not None:
        return Attempt(error=refusal)
    account = repo.account_by_pid(session, pid)
    usable = account is not None and account.status == "active" and account.kind == "citizen"
    stored = account.password_hash if usable and account is not None else None
    if not passwords.verify(stored, password):
        if account is not None:
            history.add(session, account.id, "login_failed", ip=ip)
        return Attempt(error=_failed())
    assert account is not None and stored is not None
    throttle.number_succeeded(session, number)
    throttle.client_succeeded(session, client)
    if passwords.needs_rehash(stored):
        account.password_hash = passwords.hash_password(password)
        session.flush()
    return Attempt(account=account)


def second_factors(account: Account) -> tuple[str, ...]:
    """What the account can use after the password: ``totp`` when enrolled, always ``otp``."""
    return ("totp", "otp") if totp.enabled(account) else ("otp",)


def send_login_code(session: Session, account: Account) -> None:
    otp.issue(session, account, "login")


def check_second_factor(
    session: Session, account: Account, method: str, code: str, *, ip: str = ""
) -> DancuError | None:
    """The second step (``otp`` by SMS or ``totp``); a refusal is returned and recorded."""
    if method == "totp" and totp.enabled(account):
        refusal = totp.check(session, account, code)
    elif method == "otp":
        refusal = otp.check(session, account.id, "login", code)
    else:
        refusal = NotAuthenticated(
            "This second factor is not available",
            code=IdentityErrorCode.FACTOR_UNAVAILABLE,
            field="method",
        )
    if refusal is not None:
        history.add(session, account.id, "login_failed", ip=ip, factor=method)
    return refusal


def amr_for(method: str) -> tuple[str, ...]:
    return ("pwd", "totp") if method == "totp" else ("pwd", "otp")


def list_sessions(session: Session, account_id: int) -> list[LoginSessionOut]:
    return [LoginSessionOut.model_validate(s) for s in repo.sessions_of(session, account_id)]


def revoke_session(session: Session, account_id: int, session_id: str, *, ip: str = "") -> None:
    """The holder ends one of their own sessions (another's is simply not found)."""
    own = {s.id for s in repo.sessions_of(session, account_id)}
    if session_id not in own:
        raise NotFound("No such session", code=IdentityErrorCode.SESSION_UNKNOWN, field="session")
    revoke_sessions(session, session_id=session_id, reason="holder")
    history.add(session, account_id, "session_revoked", ip=ip, sid=session_id[:8])


def require_password_account(account: Account) -> None:
    if account.kind != "citizen":
        raise Forbidden("A dependant account has no password", code=IdentityErrorCode.DEPENDANT)
