"""Kiosks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.exchange.checkin.models import Kiosk


def kiosk_by_secret(session: Session, secret_hash: str) -> Kiosk | None:
    stmt = select(Kiosk).where(Kiosk.secret_hash == secret_hash, Kiosk.revoked_at.is_(None))
    return session.scalars(stmt).first()


def kiosks(session: Session) -> list[Kiosk]:
    return list(session.scalars(select(Kiosk).order_by(Kiosk.id)))
