"""The one-stop shop's figures, per unit and period, for the monitoring domain and the
figures page: procedures by level and online type, dossiers online vs counter, on time vs
late, fees collected, components satisfied by reused data, digitized results, satisfaction.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common import adminunits
from dancu.common.access import Actor, Permission
from dancu.common.errors import Forbidden, ValidationFailed
from dancu.procedures import catalogue
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.models import Dossier
from dancu.procedures.schemas import FiguresOut
from dancu.procedures.workflow import VN_TZ


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=VN_TZ)


def figures(
    session: Session, actor: Actor, *, unit: str, period_from: date, period_to: date
) -> FiguresOut:
    """Dossiers submitted in the unit (a province: all its communes) between the two days."""
    actor.require(Permission.PROCEDURE_FIGURES)
    if period_to < period_from:
        raise ValidationFailed(
            "The period ends before it starts",
            code=ProcedureErrorCode.FIELD_INVALID,
            field="period_to",
        )
    if not unit.isdigit() or len(unit) not in (2, 5):
        raise ValidationFailed(
            "A province (2 digits) or commune (5 digits) code",
            code=ProcedureErrorCode.FIELD_INVALID,
            field="unit",
        )
    province = unit if len(unit) == 2 else None
    if not _covers(actor, unit):
        raise Forbidden("This unit is outside your area", code=ProcedureErrorCode.OUTSIDE_UNIT)
    where = [
        Dossier.submitted_at >= _start(period_from),
        Dossier.submitted_at < _start(period_to + timedelta(days=1)),
        (Dossier.province_code == unit) if province else (Dossier.unit_code == unit),
    ]
    rows = session.execute(
        select(
            Dossier.channel,
            Dossier.status,
            Dossier.on_time,
            Dossier.fee_state,
            Dossier.paid_amount,
            Dossier.reused,
            Dossier.asked,
            Dossier.result_digitized,
            Dossier.rating,
        ).where(*where)
    ).all()
    by_channel: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    on_time = late = fees = total_components = reused = digitized = 0
    ratings: list[int] = []
    for channel, status, timely, fee_state, paid, reused_list, asked, digital, rating in rows:
        by_channel["online" if channel in ("online", "npsp") else "counter"] += 1
        by_status[status] += 1
        if status in ("approved", "rejected") and timely is not None:
            on_time += int(timely)
            late += int(not timely)
        if fee_state == "paid":
            fees += int(paid or 0)
        comps = [r for r in (reused_list or []) if r.get("kind") == "component"]
        reused += len([r for r in comps if r.get("source") != "form"])
        total_components += len(comps) + len(asked or [])
        digitized += int(bool(digital))
        if rating:
            ratings.append(int(rating))
    cat = catalogue.catalogue()
    level = "commune" if len(unit) == 5 else None
    offered = [p for p in cat.procedures if level is None or p.level == level]
    return FiguresOut(
        unit=unit,
        period_from=period_from,
        period_to=period_to,
        procedures_by_level=dict(Counter(p.level for p in cat.procedures)),
        procedures_by_online=dict(Counter(p.online for p in offered)),
        dossiers_total=len(rows),
        dossiers_by_channel=dict(by_channel),
        dossiers_by_status=dict(by_status),
        decided_on_time=on_time,
        decided_late=late,
        fees_collected=fees,
        components_total=total_components,
        components_reused=reused,
        results_digitized=digitized,
        ratings=len(ratings),
        satisfaction=round(sum(ratings) / len(ratings), 2) if ratings else None,
    )


def _covers(actor: Actor, unit: str) -> bool:
    """A province's officer covers its communes; a commune's, only their own."""
    if actor.nationwide:
        return True
    if len(unit) == 2:
        return unit in actor.province_units
    commune = adminunits.find_commune(unit)
    province = commune.province_code if commune else None
    return actor.covers(province, unit)
