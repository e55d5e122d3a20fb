"""Queries of health-insurance cards."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dancu.exchange.insurance.models import InsuranceCard

_T = InsuranceCard.__table__
_UPDATABLE = (
    "pid",
    "full_name",
    "birth_date",
    "sex",
    "commune_code",
    "sent_pid",
    "valid_from",
    "valid_to",
    "facility_code",
    "facility_name",
    "benefit_level",
    "link_method",
    "source",
    "updated_at",
)


def upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert or refresh cards by number (one statement; the insurer's data wins)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = make(_T)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_T.c.card_number], set_={c: stmt.excluded[c] for c in _UPDATABLE}
    )
    session.execute(stmt, rows)


def current_card(session: Session, pid: str) -> InsuranceCard | None:
    stmt = (
        select(InsuranceCard)
        .where(InsuranceCard.pid == pid)
        .order_by(InsuranceCard.valid_to.desc(), InsuranceCard.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def unlinked(
    session: Session, commune_prefix_codes: list[str] | None = None
) -> list[InsuranceCard]:
    stmt = select(InsuranceCard).where(InsuranceCard.pid.is_(None)).order_by(InsuranceCard.id)
    if commune_prefix_codes is not None:
        stmt = stmt.where(InsuranceCard.commune_code.in_(commune_prefix_codes))
    return list(session.scalars(stmt))


def counts(session: Session) -> tuple[int, dict[str | None, int]]:
    stmt = select(InsuranceCard.link_method, func.count()).group_by(InsuranceCard.link_method)
    by = {m: int(n) for m, n in session.execute(stmt)}
    return sum(by.values()), by


def by_number(session: Session, number: str) -> InsuranceCard | None:
    return session.scalars(select(InsuranceCard).where(InsuranceCard.card_number == number)).first()
