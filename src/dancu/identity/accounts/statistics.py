"""Registrations and activations by level, per commune or per province (for monitoring)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from dancu.identity.accounts.models import Account
from dancu.identity.accounts.schemas import StatisticsRow


def _count(condition) -> object:  # type: ignore[no-untyped-def]
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


def accounts_by_area(
    session: Session,
    *,
    by: Literal["commune", "province"] = "commune",
    province_code: str | None = None,
) -> list[StatisticsRow]:
    """One row per area: citizen accounts registered (any status) and live ones by level."""
    citizen = Account.kind == "citizen"
    live = Account.status == "active"
    columns = [Account.province_code]
    if by == "commune":
        columns.append(Account.commune_code)
    stmt = select(
        *columns,
        _count(citizen).label("registered"),
        _count(citizen & live & (Account.level == 1)).label("level1"),
        _count(citizen & live & (Account.level == 2)).label("level2"),
        _count((Account.kind == "dependant") & live).label("dependants"),
        _count(Account.status == "closed").label("closed"),
    ).group_by(*columns)
    if province_code:
        stmt = stmt.where(Account.province_code == province_code)
    rows = session.execute(stmt.order_by(*columns)).mappings()
    return [
        StatisticsRow(
            province_code=r["province_code"],
            commune_code=r.get("commune_code"),
            registered=r["registered"],
            level1=r["level1"],
            level2=r["level2"],
            dependants=r["dependants"],
            closed=r["closed"],
        )
        for r in rows
    ]
