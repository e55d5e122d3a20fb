"""Authenticator-app codes (TOTP, RFC 6238): enrolment confirmed by a code, no replay.

The last accepted time step is stored, so a code (or an earlier one) cannot be used twice.
One step of clock drift is accepted each way. The shared secret is sealed at rest
(``identity/sealing.py``, the account id as associated data): a copy of the database alone
does not let anyone generate an officer's or a citizen's codes.
"""

from __future__ import annotations

import base64
import hmac
import logging
from datetime import datetime

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from dancu.common.errors import DancuError, InvalidState, NotAuthenticated
from dancu.db import utcnow
from dancu.identity.accounts import history
from dancu.identity.accounts.models import Account
from dancu.identity.auth import throttle
from dancu.identity.errors import IdentityErrorCode
from dancu.identity.keys import sealing

ISSUER = "dancu"
DRIFT_STEPS = 1
_INFO = b"dancu totp secrets v1"
log = logging.getLogger(__name__)


def seal_secret(account_id: int, secret: str, *, secret_key: str | None = None) -> str:
    """The stored form of an account's TOTP secret (migration 0007 uses it too).

    The secret's 20 raw bytes are sealed (12-byte nonce + 20 + 16-byte tag = 64 base64
    characters): the column keeps its width.
    """
    raw = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    if len(raw) > 20:
        raise ValueError("TOTP secrets are at most 160 bits")
    return sealing.seal(raw, info=_INFO, associated=_row(account_id), secret_key=secret_key)


def unseal_secret(account_id: int, sealed: str, *, secret_key: str | None = None) -> str:
    raw = sealing.unseal(sealed, info=_INFO, associated=_row(account_id), secret_key=secret_key)
    return base64.b32encode(raw).decode().rstrip("=")


def secret_of(account: Account) -> str | None:
    """The account's TOTP secret in the clear (None before enrolment)."""
    if account.totp_secret is None:
        return None
    return unseal_secret(account.id, account.totp_secret)


def _row(account_id: int) -> bytes:
    return f"account:{account_id}".encode()


def begin_enrolment(session: Session, account: Account) -> str:
    """A fresh secret (not active until confirmed); returns the otpauth:// URI for a QR code."""
    if account.status != "active":
        raise InvalidState("The account is not active", code=IdentityErrorCode.ACCOUNT_INACTIVE)
    if account.id is None:
        session.flush()  # the id is the sealed secret's associated data
    account.totp_secret = seal_secret(account.id, pyotp.random_base32())
    account.totp_confirmed_at = None
    account.totp_last_step = None
    session.flush()
    return provisioning_uri(account)


def provisioning_uri(account: Account) -> str:
    secret = secret_of(account)
    assert secret
    return pyotp.TOTP(secret).provisioning_uri(name=account.citizen_pid, issuer_name=ISSUER)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    typed = "".join(code.split())
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), typed):
            return candidate
    return None


def check(
    session: Session, account: Account, code: str, *, now: datetime | None = None
) -> DancuError | None:
    """None when ``code`` is valid and newer than the last one used; else the refusal."""
    now = now or utcnow()
    account_key = throttle.key("otp", str(account.id))
    if throttle.locked_until(session, account_key, now=now) is not None:
        return NotAuthenticated(
            "Too many wrong codes; try again later", code=IdentityErrorCode.OTP_LOCKED, field="code"
        )
    try:
        secret = secret_of(account)
    except sealing.SealBroken:
        # Sealed under another DANCU_SECRET_KEY (a rotated or mistyped key), or the row was
        # tampered with: refuse clearly instead of failing every TOTP sign-in with a 500.
        log.error(
            "TOTP secret of account %s does not open with this DANCU_SECRET_KEY "
            "(another key, or an altered row); the holder must re-enrol",
            account.id,
        )
        return NotAuthenticated(
            "The authenticator app's secret cannot be read on this server; use another "
            "factor or ask an administrator to re-enrol it",
            code=IdentityErrorCode.TOTP_UNREADABLE,
            field="code",
        )
    if not secret:
        return NotAuthenticated(
            "No authenticator app is enrolled", code=IdentityErrorCode.TOTP_MISSING, field="code"
        )
    step = _matching_step(secret, code, now)
    if step is None:
        throttle.fail(session, account_key, now=now)
        return NotAuthenticated("The code is wrong", code=IdentityErrorCode.OTP_WRONG, field="code")
    # Claim the time step in one statement: a code (or an older one) is accepted once,
    # even when two requests bring it at the same moment.
    claimed = session.execute(
        update(Account)
        .where(
            Account.id == account.id,
            or_(Account.totp_last_step.is_(None), Account.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return NotAuthenticated(
            "This code was already used; wait for the next one",
            code=IdentityErrorCode.TOTP_REPLAY,
            field="code",
        )
    account.totp_last_step = step
    throttle.succeed(session, account_key)
    session.flush()
    return None


def confirm_enrolment(
    session: Session, account: Account, code: str, *, now: datetime | None = None
) -> DancuError | None:
    """The first valid code activates the secret."""
    if account.totp_secret is None:
        raise InvalidState("Start the enrolment first", code=IdentityErrorCode.TOTP_NOT_STARTED)
    refusal = check(session, account, code, now=now)
    if refusal is None:
        account.totp_confirmed_at = now or utcnow()
        history.add(session, account.id, "totp_enrolled")
        session.flush()
    return refusal


def enabled(account: Account) -> bool:
    return account.totp_secret is not None and account.totp_confirmed_at is not None


def current_code(account: Account, *, now: datetime | None = None) -> str:
    """The code an authenticator would show now (the dev command and tests only)."""
    secret = secret_of(account)
    assert secret
    return pyotp.TOTP(secret).at(now or utcnow())
