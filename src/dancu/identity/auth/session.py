"""The login contract: who is signed in, at which level, since when (used by OIDC and pages).

A session's base level is 1 (password plus a second factor). Level 2 exists only during a
step-up window opened by a strong factor (TOTP or passkey) on a level-2 account, then the
session falls back to level 1. The cookie holds only ``login_sid``; the ``LoginSession``
row is the truth, so revoking it (My account, recovery, death) signs the browser out.

Functions take the browser's cookie session as a mapping (``request.session`` in a route),
never the web request itself: they change only what the login contract owns in it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, select, update
from sqlalchemy.orm import Session

from dancu.common.errors import Forbidden
from dancu.db import utcnow
from dancu.identity.accounts import history
from dancu.identity.accounts.models import Account
from dancu.identity.accounts.officers import actor_for
from dancu.identity.auth.models import LoginSession
from dancu.identity.errors import IdentityErrorCode
from dancu.settings import Settings, get_settings

ACR_LEVEL1 = "urn:dancu:acr:level1"
ACR_LEVEL2 = "urn:dancu:acr:level2"
LOGIN_URL = "/login"
STEP_UP_URL = "/login/step-up"
SESSION_KEY = "login_sid"
STRONG_METHODS = frozenset({"totp", "hwk"})


@dataclass(frozen=True)
class Login:
    session_id: str
    account_id: int
    citizen_pid: str | None
    display_name: str
    account_level: int
    auth_time: int
    amr: tuple[str, ...]
    step_up_until: int | None
    step_up_amr: tuple[str, ...] = ()

    def level(self, now: int) -> int:
        """2 while a step-up window is open on a level-2 account, else at most 1."""
        if self.account_level == 2 and self.step_up_until is not None and now < self.step_up_until:
            return 2
        return min(self.account_level, 1)

    def acr(self, now: int) -> str:
        return ACR_LEVEL2 if self.level(now) == 2 else ACR_LEVEL1


def _epoch(at: datetime | None) -> int | None:
    return int(at.timestamp()) if at is not None else None


def _to_login(row: LoginSession, account: Account) -> Login:
    return Login(
        session_id=row.id,
        account_id=account.id,
        citizen_pid=account.citizen_pid,
        display_name=account.display_name,
        account_level=account.level,
        auth_time=int(row.auth_time.timestamp()),
        amr=tuple(row.amr),
        step_up_until=_epoch(row.step_up_until),
    )


def session_expired(row: LoginSession, now: datetime, settings: Settings) -> bool:
    """Idle too long, or signed in too long ago (absolute limit)."""
    idle = now - row.last_seen_at > timedelta(seconds=settings.identity_session_idle_seconds)
    old = now - row.created_at > timedelta(seconds=settings.identity_session_absolute_seconds)
    return idle or old


def public_sid(session_id: str) -> str:
    """The ``sid`` claim: names the login session to relying parties without revealing its
    id (which, with the cookie secret, is what a browser session is)."""
    return hashlib.sha256(b"dancu sid\x00" + session_id.encode()).hexdigest()[:32]


# A login session still in force, as SQL (the Python twin is ``session_expired``): the bearer
# check and the refresh claim use it, with ``live_bounds`` as their parameters.
_LS = LoginSession.__table__
LIVE: ColumnElement[bool] = and_(
    _LS.c.revoked_at.is_(None),
    _LS.c.last_seen_at >= bindparam("seen_since"),
    _LS.c.created_at >= bindparam("signed_in_since"),
)


def live_bounds(now: datetime, settings: Settings | None = None) -> dict[str, datetime]:
    """The parameters of ``LIVE`` at ``now``: the idle and absolute limits of the settings."""
    settings = settings or get_settings()
    return {
        "seen_since": now - timedelta(seconds=settings.identity_session_idle_seconds),
        "signed_in_since": now - timedelta(seconds=settings.identity_session_absolute_seconds),
    }


def load_login(
    db: Session, sid: str, *, settings: Settings | None = None, now: datetime | None = None
) -> Login | None:
    """The live login behind a session id (no cookie needed: OIDC uses it), touching it."""
    settings = settings or get_settings()
    now = now or utcnow()
    found = db.execute(
        select(LoginSession, Account)
        .join(Account, Account.id == LoginSession.account_id)
        .where(LoginSession.id == sid)
    ).first()
    if found is None:
        return None
    row, account = found
    if row.revoked_at is not None or account.status != "active":
        return None
    if session_expired(row, now, settings):
        return None
    row.last_seen_at = now
    db.flush()
    return _to_login(row, account)


def current_login(
    cookie: Mapping[str, Any], db: Session, *, settings: Settings | None = None
) -> Login | None:
    """The signed-in account of this browser, or None (no row, revoked, expired, closed)."""
    sid = cookie.get(SESSION_KEY)
    if not sid or not isinstance(sid, str):
        return None
    return load_login(db, sid, settings=settings)


def begin_login(
    cookie: MutableMapping[str, Any],
    db: Session,
    account: Account,
    amr: tuple[str, ...] | list[str],
    ip: str,
    user_agent: str,
) -> Login:
    """Record a new signed-in session and rotate the cookie session (no fixation)."""
    if account.status != "active":
        raise Forbidden("The account is not active", code=IdentityErrorCode.ACCOUNT_INACTIVE)
    now = utcnow()
    session_id = secrets.token_urlsafe(32)
    row = LoginSession(
        id=session_id,
        public_sid=public_sid(session_id),
        account_id=account.id,
        created_at=now,
        auth_time=now,
        last_seen_at=now,
        amr=list(amr),
        ip=ip[:45],
        user_agent=user_agent[:300],
    )
    db.add(row)
    history.add(db, account.id, "login", ip=ip, amr=",".join(amr), sid=row.id[:8])
    db.flush()
    cookie.clear()
    cookie[SESSION_KEY] = row.id
    actor = actor_for(db, account)
    if actor.roles:
        cookie["actor"] = actor.to_dict()
    return _to_login(row, account)


def step_up(db: Session, login: Login, method: str, *, settings: Settings | None = None) -> Login:
    """Open the level-2 window after a strong factor checked by the caller (totp, hwk)."""
    if login.account_level != 2:
        raise Forbidden(
            "Level 2 needs an account proven at the police desk",
            code=IdentityErrorCode.LEVEL_INSUFFICIENT,
        )
    if method not in STRONG_METHODS:
        raise Forbidden("Level 2 needs a strong factor", code=IdentityErrorCode.LEVEL_INSUFFICIENT)
    now = utcnow()
    until = now + timedelta(seconds=(settings or get_settings()).identity_step_up_seconds)
    row = db.get(LoginSession, login.session_id)
    if row is None or row.revoked_at is not None:
        raise Forbidden("The session has ended", code=IdentityErrorCode.SESSION_ENDED)
    row.step_up_until = until
    row.last_seen_at = now
    if method not in row.amr:
        row.amr = [*row.amr, method]
    history.add(db, login.account_id, "step_up", method=method, sid=row.id[:8])
    db.flush()
    return Login(
        session_id=row.id,
        account_id=login.account_id,
        citizen_pid=login.citizen_pid,
        display_name=login.display_name,
        account_level=login.account_level,
        auth_time=login.auth_time,
        amr=tuple(row.amr),
        step_up_until=int(until.timestamp()),
        step_up_amr=(method,),
    )


def end_login(cookie: MutableMapping[str, Any], db: Session) -> None:
    """Sign out: revoke the session row and clear the cookie session."""
    sid = cookie.get(SESSION_KEY)
    if isinstance(sid, str) and sid:
        revoke_sessions(db, session_id=sid, reason="logout")
    cookie.clear()


def revoke_sessions(
    db: Session, *, reason: str, account_id: int | None = None, session_id: str | None = None
) -> int:
    """Revoke one session or every live session of an account; returns how many."""
    stmt = update(LoginSession).where(LoginSession.revoked_at.is_(None))
    if session_id is not None:
        stmt = stmt.where(LoginSession.id == session_id)
    if account_id is not None:
        stmt = stmt.where(LoginSession.account_id == account_id)
    if session_id is None and account_id is None:
        raise ValueError("name a session or an account")
    result = db.execute(stmt.values(revoked_at=utcnow(), revoked_reason=reason))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def now_epoch() -> int:
    return int(datetime.now(UTC).timestamp())
