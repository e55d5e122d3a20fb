"""Queries of consent requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dancu.exchange.consent.models import ConsentRequest
from dancu.exchange.partners.models import Partner


def approved_fields(
    session: Session, partner_id: int, pid: str, purpose: str, now: datetime
) -> set[str]:
    stmt = select(ConsentRequest.fields).where(
        ConsentRequest.partner_id == partner_id,
        ConsentRequest.pid == pid,
        ConsentRequest.purpose == purpose,
        ConsentRequest.status == "approved",
        ConsentRequest.valid_until > now,
    )
    return {f for fields in session.scalars(stmt) for f in fields}


def of_citizen(session: Session, pid: str) -> list[tuple[ConsentRequest, str]]:
    stmt = (
        select(ConsentRequest, Partner.name)
        .join(Partner, Partner.id == ConsentRequest.partner_id)
        .where(ConsentRequest.pid == pid)
        .order_by(ConsentRequest.id.desc())
    )
    return [(c, name) for c, name in session.execute(stmt)]


def one(session: Session, consent_id: int) -> tuple[ConsentRequest, str] | None:
    stmt = (
        select(ConsentRequest, Partner.name)
        .join(Partner, Partner.id == ConsentRequest.partner_id)
        .where(ConsentRequest.id == consent_id)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row else None


def transition(
    session: Session, consent_id: int, pid: str, expected: str, **values: object
) -> bool:
    """``UPDATE ... WHERE status = :expected`` for the citizen's own request."""
    stmt = (
        update(ConsentRequest)
        .where(
            ConsentRequest.id == consent_id,
            ConsentRequest.pid == pid,
            ConsentRequest.status == expected,
        )
        .values(**values)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
