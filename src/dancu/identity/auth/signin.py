"""Signing in: password, then a second factor; and the holder's list of sessions.

Refusals are *returned* (``Attempt.error``), not raised, because they count failures that
must survive: the boundary commits, then raises the error. Unknown ID numbers, wrong
passwords, accounts without a password and closed accounts all give the same
``identity.login_failed``; the lock-out (``identity.locked``) is counted per typed ID
number, so it comes after the same number of tries whether or not an account exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dancu.common.errors import DancuError, Forbidden, NotAuthenticated, NotFound
from dancu.identity.accounts import history
from dancu.identity.accounts import repository as repo
from dancu.identity.accounts.models import Account
from dancu.identity.accounts.schemas import LoginSessionOut
from dancu.identity.auth import otp, passwords, throttle, totp
from dancu.identity.auth.session import revoke_sessions
from dancu.identity.errors import IdentityErrorCode

FAILED = "The ID number or the password is wrong"
LOCKED = "Too many failed sign-ins; try again later"


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


def _locked() -> DancuError:
    return NotAuthenticated(LOCKED, code=IdentityErrorCode.LOCKED, field="password")


def check_password(session: Session, pid: str, password: str, *, ip: str = "") -> Attempt:
    """The first step: the account when the password is right (a second factor follows)."""
    pid = "".join(pid.split())
    key = throttle.key("login", pid)
    throttle.acquire(session, key)  # attempts on one ID number take turns
    if throttle.locked_until(session, key) is not None:
        return Attempt(error=_locked())
    account = repo.account_by_pid(session, pid)
    usable = account is not None and account.status == "active" and account.kind == "citizen"
    stored = account.password_hash if usable and account is not None else None
    if not passwords.verify(stored, password):
        if account is not None:
            history.add(session, account.id, "login_failed", ip=ip)
        locked = throttle.fail(session, key)
        return Attempt(error=_locked() if locked else _failed())
    assert account is not None and stored is not None
    throttle.succeed(session, key)
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
