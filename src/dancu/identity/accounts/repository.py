"""Account queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.db import is_postgres
from dancu.identity.accounts.models import Account
from dancu.identity.auth.models import LoginSession


def account_by_pid(session: Session, pid: str, *, for_update: bool = False) -> Account | None:
    stmt = select(Account).where(Account.citizen_pid == pid)
    if for_update and is_postgres(session):
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def account_by_id(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def dependants_of(session: Session, guardian_id: int) -> list[Account]:
    stmt = select(Account).where(Account.guardian_id == guardian_id).order_by(Account.id)
    return list(session.scalars(stmt))


def sessions_of(session: Session, account_id: int, *, live_only: bool = True) -> list[LoginSession]:
    stmt = select(LoginSession).where(LoginSession.account_id == account_id)
    if live_only:
        stmt = stmt.where(LoginSession.revoked_at.is_(None))
    return list(
        session.scalars(stmt.order_by(LoginSession.created_at.desc(), LoginSession.id.desc()))
    )
