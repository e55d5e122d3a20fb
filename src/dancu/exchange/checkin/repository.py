"""Check-in counters and kiosks."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dancu.exchange.checkin.models import CheckinCount, Kiosk

_T = CheckinCount.__table__


def count(session: Session, facility_code: str, day: date, insured: bool) -> None:
    """One more check-in for the facility's day, in one statement (no check-then-act)."""
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = make(_T).values(facility_code=facility_code, day=day, checkins=1, insured=int(insured))
    stmt = stmt.on_conflict_do_update(
        index_elements=[_T.c.facility_code, _T.c.day],
        set_={"checkins": _T.c.checkins + 1, "insured": _T.c.insured + stmt.excluded.insured},
    )
    session.execute(stmt)


def counts(session: Session, since: date, facility_code: str | None = None) -> list[CheckinCount]:
    stmt = select(CheckinCount).where(CheckinCount.day >= since)
    if facility_code:
        stmt = stmt.where(CheckinCount.facility_code == facility_code)
    return list(session.scalars(stmt.order_by(CheckinCount.day.desc(), CheckinCount.facility_code)))


def kiosk_by_secret(session: Session, secret_hash: str) -> Kiosk | None:
    stmt = select(Kiosk).where(Kiosk.secret_hash == secret_hash, Kiosk.revoked_at.is_(None))
    return session.scalars(stmt).first()


def kiosks(session: Session) -> list[Kiosk]:
    return list(session.scalars(select(Kiosk).order_by(Kiosk.id)))
