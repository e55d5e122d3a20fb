"""The usage history of an account (login, failed login, step-up, level change, ...).

Kept ``settings.identity_history_years`` years (five by default); ``purge_history`` deletes
older rows and is run by ``dancu identity purge-history``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dancu.db import utcnow
from dancu.identity.accounts.models import AccountEvent
from dancu.identity.accounts.schemas import AccountEventOut
from dancu.settings import get_settings

KINDS = frozenset(
    {
        "registered",
        "phone_confirmed",
        "login",
        "login_failed",
        "step_up",
        "logout",
        "level_changed",
        "session_revoked",
        "password_changed",
        "recovered",
        "totp_enrolled",
        "consent",
        "document_issued",
        "closed",
        "dependant_registered",
        "staff_granted",
        "staff_revoked",
        "role_granted",
        "role_revoked",
        "passkey_added",
        "passkey_removed",
    }
)


def add(
    session: Session,
    account_id: int,
    kind: str,
    *,
    ip: str = "",
    at: datetime | None = None,
    **detail: Any,
) -> None:
    """Append one event to the account's history (in the caller's transaction)."""
    if kind not in KINDS:
        raise ValueError(f"unknown account event {kind!r}")
    session.add(
        AccountEvent(
            account_id=account_id,
            kind=kind,
            at=at or utcnow(),
            ip=ip[:45],
            detail={k: str(v) for k, v in detail.items()},
        )
    )


def list_for(session: Session, account_id: int, *, limit: int = 100) -> list[AccountEventOut]:
    """The holder's own history, newest first."""
    session.flush()
    stmt = (
        select(AccountEvent)
        .where(AccountEvent.account_id == account_id)
        .order_by(AccountEvent.at.desc(), AccountEvent.id.desc())
        .limit(limit)
    )
    return [AccountEventOut.model_validate(e) for e in session.scalars(stmt)]


def retention_cutoff(now: datetime, years: int | None = None) -> datetime:
    """The instant before which history is purged: ``years`` calendar years before ``now``."""
    years = get_settings().identity_history_years if years is None else years
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def purge_history(session: Session, *, now: datetime | None = None) -> int:
    """Delete history older than the retention period; returns how many rows went."""
    cutoff = retention_cutoff(now or utcnow())
    result = session.execute(delete(AccountEvent).where(AccountEvent.at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
