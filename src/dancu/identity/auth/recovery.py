"""Account recovery: ID number + birth date + a code to the registered phone.

Recovery resets the password and revokes every session, and never keeps level 2: a
recovered level-2 account drops to level 1 until re-proven at the police desk (audited
and in the history). ``start`` answers the same whether or not the data match an account,
so it cannot be used to probe for accounts.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.common.errors import Conflict, DancuError, NotAuthenticated
from dancu.identity.accounts import citizens, history
from dancu.identity.accounts import repository as repo
from dancu.identity.accounts.levels import drop_to_level1
from dancu.identity.accounts.models import Account
from dancu.identity.auth import otp, passwords, throttle
from dancu.identity.auth.session import revoke_sessions
from dancu.identity.errors import IdentityErrorCode


def _matching(session: Session, pid: str, birth_date: date) -> Account | None:
    account = repo.account_by_pid(session, "".join(pid.split()))
    if account is None or account.status != "active" or account.kind != "citizen":
        return None
    record = citizens.record(session, account.citizen_pid)
    if record is None or record.birth_date != birth_date or not account.phone_verified_at:
        return None
    return account


def start(session: Session, pid: str, birth_date: date) -> None:
    """Send a recovery code to the registered phone when the data match (silent otherwise)."""
    key = throttle.key("recovery", "".join(pid.split()))
    if throttle.locked_until(session, key) is not None:
        return
    account = _matching(session, pid, birth_date)
    if account is None:
        throttle.fail(session, key)
        return
    try:
        otp.issue(session, account, "recovery")
    except Conflict:  # too many codes lately: stay silent, as for a mismatch
        return


def finish(
    session: Session, pid: str, birth_date: date, code: str, new_password: str, *, ip: str = ""
) -> DancuError | None:
    """Check the code, set the new password, end every session, drop level 2 to 1."""
    account = _matching(session, pid, birth_date)
    if account is None:
        return NotAuthenticated(
            "The code has expired; ask for a new one",
            code=IdentityErrorCode.OTP_EXPIRED,
            field="code",
        )
    passwords.check_policy(new_password, pid=account.citizen_pid, phone=account.phone)
    refusal = otp.check(session, account.id, "recovery", code)
    if refusal is not None:
        return refusal
    account.password_hash = passwords.hash_password(new_password)
    revoked = revoke_sessions(session, account_id=account.id, reason="recovery")
    actor = Actor(id=f"account:{account.id}", name=account.display_name)
    drop_to_level1(session, account, reason="recovery", actor=actor)
    history.add(session, account.id, "recovered", ip=ip, sessions_revoked=revoked)
    history.add(session, account.id, "password_changed", ip=ip)
    session.flush()
    return None
