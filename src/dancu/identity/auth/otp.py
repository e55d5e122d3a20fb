"""One-time codes sent by SMS or e-mail: 6 digits, 5 minutes, 5 tries, stored as an HMAC.

A new code replaces the account's earlier codes for the same purpose. ``check`` counts a
wrong try on the code and on the account (five wrong codes across codes lock code checks
like passwords), and returns the refusal rather than raising it, so that the boundary can
commit the count before answering.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dancu.common.errors import Conflict, DancuError, NotAuthenticated
from dancu.db import utcnow
from dancu.identity.accounts import messages
from dancu.identity.accounts.models import Account, OneTimeCode
from dancu.identity.auth import throttle
from dancu.identity.errors import IdentityErrorCode
from dancu.settings import get_settings

PURPOSES = ("phone", "login", "recovery", "email")
SEND_WINDOW = timedelta(minutes=15)
TEXTS = {
    "phone": "Ma xac nhan so dien thoai dancu: {code}. Het han sau 5 phut.",
    "login": "Ma dang nhap dancu: {code}. Khong chia se ma nay.",
    "recovery": "Ma khoi phuc tai khoan dancu: {code}. Neu ban khong yeu cau, hay bo qua.",
    "email": "Ma xac nhan e-mail dancu: {code}.",
}


def _digest(account_id: int, purpose: str, code: str) -> str:
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, f"{account_id}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def issue(session: Session, account: Account, purpose: str, *, now: datetime | None = None) -> str:
    """Create a code, queue the SMS (or e-mail) and return the code (tests and dev only)."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    now = now or utcnow()
    _limit_sends(session, account.id, purpose, now)
    session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.account_id == account.id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    ttl = timedelta(seconds=get_settings().identity_otp_seconds)
    session.add(
        OneTimeCode(
            account_id=account.id,
            purpose=purpose,
            code_hash=_digest(account.id, purpose, code),
            created_at=now,
            expires_at=now + ttl,
            attempts=0,
        )
    )
    channel, recipient = ("email", account.email) if purpose == "email" else ("sms", account.phone)
    if recipient:
        messages.send(
            session, channel, recipient, TEXTS[purpose].format(code=code), account_id=account.id
        )
    session.flush()
    return code


def _limit_sends(session: Session, account_id: int, purpose: str, now: datetime) -> None:
    """At most ``identity_otp_sends`` codes per purpose in 15 minutes (no SMS flooding)."""
    recent = session.scalar(
        select(func.count())
        .select_from(OneTimeCode)
        .where(
            OneTimeCode.account_id == account_id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.created_at > now - SEND_WINDOW,
        )
    )
    if (recent or 0) >= get_settings().identity_otp_sends:
        raise Conflict(
            "Too many codes were sent; wait a few minutes",
            code=IdentityErrorCode.OTP_TOO_MANY_SENDS,
        )


def _refused(message: str, code: str) -> DancuError:
    return NotAuthenticated(message, code=code, field="code")


def check(
    session: Session, account_id: int, purpose: str, code: str, *, now: datetime | None = None
) -> DancuError | None:
    """None when ``code`` is the live code (which is then used up), else the refusal."""
    now = now or utcnow()
    account_key = throttle.key("otp", str(account_id))
    if throttle.locked_until(session, account_key, now=now) is not None:
        return _refused("Too many wrong codes; try again later", "identity.otp_locked")
    row = session.scalars(
        select(OneTimeCode.id)
        .where(
            OneTimeCode.account_id == account_id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.used_at.is_(None),
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    ).first()
    limit = get_settings().identity_otp_attempts
    # Spend one try in one statement before comparing: parallel guesses cannot share a try.
    spent = (
        session.execute(
            update(OneTimeCode)
            .where(
                OneTimeCode.id == row,
                OneTimeCode.used_at.is_(None),
                OneTimeCode.expires_at > now,
                OneTimeCode.attempts < limit,
            )
            .values(attempts=OneTimeCode.attempts + 1)
            .returning(OneTimeCode.attempts, OneTimeCode.code_hash)
        ).first()
        if row is not None
        else None
    )
    if spent is None:
        return _refused("The code has expired; ask for a new one", "identity.otp_expired")
    attempts, code_hash = spent
    typed = "".join(code.split())
    if hmac.compare_digest(code_hash, _digest(account_id, purpose, typed)):
        used = session.execute(
            update(OneTimeCode)
            .where(OneTimeCode.id == row, OneTimeCode.used_at.is_(None))
            .values(used_at=now)
        )
        if used.rowcount == 1:  # type: ignore[attr-defined]
            throttle.succeed(session, account_key)
            return None
        return _refused("The code has expired; ask for a new one", "identity.otp_expired")
    throttle.fail(session, account_key, now=now)
    if attempts >= limit:
        return _refused("Too many wrong tries; ask for a new code", "identity.otp_expired")
    return _refused("The code is wrong", "identity.otp_wrong")
