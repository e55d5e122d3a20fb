"""Partner accesses by area: one row per citizen a partner's request released data about
(``exchange_access``), written by the services that release it; what an area's officer
reviews (``area_review``: which partners read data of the citizens of my area, for which
purpose, per day, unusual volumes flagged) and what the check-in figures count.

A day's volume of one partner and purpose in one commune is **unusual** when it is at
least ``UNUSUAL_MIN`` accesses and more than ``UNUSUAL_FACTOR`` times that group's mean
over the other days of the window (a partner that suddenly reads a commune's citizens in
bulk), or when the same citizens were read over and over (more than ``REPEAT_FACTOR``
accesses per distinct citizen on a day).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit
from dancu.common.access import Actor, Permission
from dancu.db import utcnow
from dancu.exchange.hygiene.models import PartnerAccess
from dancu.exchange.partners import repository as partner_repo

UNUSUAL_MIN = 20
UNUSUAL_FACTOR = 3.0
REPEAT_FACTOR = 3.0
_T = PartnerAccess.__table__


@dataclass(frozen=True)
class Subject:
    """Whose data was released: the citizen's ID number and where they live."""

    pid: str
    province_code: str
    commune_code: str


def subject_in(pid: str, commune_code: str) -> Subject:
    """A citizen of a commune (the province read from the unit table, or the code's head)."""
    unit = adminunits.find_commune(commune_code)
    return Subject(pid, unit.province_code if unit else commune_code[:2], commune_code)


def record(
    session: Session,
    partner_id: int,
    purpose: str,
    kind: str,
    subjects: Iterable[Subject],
    *,
    insured: bool | None = None,
    now: datetime | None = None,
) -> None:
    """The rows of one request's accesses (one INSERT, whatever their number)."""
    now = now or utcnow()
    rows = [
        {
            "at": now,
            "day": now.date(),
            "partner_id": partner_id,
            "purpose": purpose,
            "kind": kind,
            "province_code": s.province_code,
            "commune_code": s.commune_code,
            "pid": s.pid,
            "insured": insured,
        }
        for s in subjects
    ]
    if rows:
        session.connection().execute(insert(_T), rows)


def checkin_counts(
    session: Session, since: date, partner_id: int | None = None
) -> list[tuple[int, date, int, int]]:
    """(partner id, day, check-ins, with a valid card) per hospital and day since ``since``."""
    insured = func.sum(case((_T.c.insured.is_(True), 1), else_=0))
    stmt = (
        select(_T.c.partner_id, _T.c.day, func.count(), insured)
        .where(_T.c.kind == "checkin", _T.c.day >= since)
        .group_by(_T.c.partner_id, _T.c.day)
        .order_by(_T.c.day.desc(), _T.c.partner_id)
    )
    if partner_id is not None:
        stmt = stmt.where(_T.c.partner_id == partner_id)
    return [(p, d, int(n), int(i or 0)) for p, d, n, i in session.execute(stmt)]


def partner_names(session: Session) -> dict[int, str]:
    return {p.id: p.name for p in partner_repo.partners(session)}


@dataclass
class AreaDay:
    """One partner's accesses for one purpose to the citizens of one commune on one day."""

    day: date
    commune_code: str
    commune_name: str
    partner_name: str
    purpose: str
    accesses: int
    citizens: int
    flags: list[str] = field(default_factory=list)


def area_review(
    session: Session, *, actor: Actor, since: date, today: date | None = None
) -> list[AreaDay]:
    """The partner accesses to citizens of the actor's area since ``since``, by day, commune,
    partner and purpose, with unusual volumes flagged; reading it is audited."""
    actor.require(Permission.AUDIT_READ)
    rows = session.execute(_area_statement(actor, since)).all()
    names = partner_names(session)
    found = [
        AreaDay(
            day=r.day,
            commune_code=r.commune_code,
            commune_name=_commune_name(r.commune_code),
            partner_name=names.get(r.partner_id, ""),
            purpose=r.purpose,
            accesses=int(r.accesses),
            citizens=int(r.citizens),
        )
        for r in rows
    ]
    _flag(found)
    audit.record(
        session,
        actor,
        action="exchange.area_review_read",
        subject_type="area",
        subject_id=",".join(actor.units)[:80] or "*",
        purpose="inspection",
        fields=("partner", "purpose", "day", "accesses"),
    )
    return found


def _area_statement(actor: Actor, since: date):  # type: ignore[no-untyped-def]
    stmt = (
        select(
            _T.c.day,
            _T.c.commune_code,
            _T.c.partner_id,
            _T.c.purpose,
            func.count().label("accesses"),
            func.count(func.distinct(_T.c.pid)).label("citizens"),
        )
        .where(_T.c.day >= since)
        .group_by(_T.c.day, _T.c.commune_code, _T.c.partner_id, _T.c.purpose)
        .order_by(_T.c.day.desc(), _T.c.commune_code, _T.c.partner_id, _T.c.purpose)
    )
    if not actor.nationwide:  # access is in the query: a province's or a commune's rows
        stmt = stmt.where(
            _T.c.province_code.in_(actor.province_units)
            | _T.c.commune_code.in_(actor.commune_units)
        )
    return stmt


def _commune_name(code: str) -> str:
    commune = adminunits.find_commune(code)
    return commune.name if commune is not None else ""


def _flag(days: list[AreaDay]) -> None:
    groups: dict[tuple[str, str, str], list[AreaDay]] = defaultdict(list)
    for d in days:
        groups[(d.commune_code, d.partner_name, d.purpose)].append(d)
    for members in groups.values():
        total = sum(m.accesses for m in members)
        for m in members:
            others = len(members) - 1
            usual = (total - m.accesses) / others if others else 0.0
            if m.accesses >= UNUSUAL_MIN and m.accesses > UNUSUAL_FACTOR * usual:
                m.flags.append("unusual_volume")
            if m.accesses > REPEAT_FACTOR * max(m.citizens, 1):
                m.flags.append("repeated_reads")
