"""Working days: weekends, Vietnamese public holidays (Tết included) from the ``holidays``
library (country VN, ADR 0006), the government's day swaps and a province's own days off.

A day is a working day when it is Monday to Friday, or a weekend day declared a working day
(a swap), and it is neither a public holiday nor a day declared off. Declarations come from
``data/calendar.yaml`` (nationwide swaps shipped with the code) and from the
``procedure_calendar_day`` table (entered with ``dancu procedures calendar add``, a
province's own days off included); the table wins over the file for the same day.

Deadlines count whole working days after the day a dossier was received: received on a
Friday with one day to go, it is due the next Monday; received on a Saturday, the same
Monday. ``resume_due`` moves a deadline by the working days a supplement was awaited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import holidays
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common import adminunits
from dancu.common.errors import ValidationFailed
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.models import DAY_KINDS, CalendarDay

DATA = Path(__file__).resolve().parent / "data" / "calendar.yaml"
MAX_SPAN_DAYS = 3 * 366  # a deadline never lies further away: refuse a runaway loop


@cache
def _shipped() -> dict[date, str]:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8")) or {}
    return {row["day"]: row["kind"] for row in raw.get("days", [])}


@cache
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year))


@cache
def _library_workdays(year: int) -> frozenset[date]:
    """Weekend days the library itself knows as made-up working days."""
    found = holidays.country_holidays("VN", years=year)
    return frozenset(d for d in getattr(found, "weekend_workdays", set()) if d.year == year)


@dataclass(frozen=True)
class WorkCalendar:
    """One province's calendar; ``declared`` maps a day to "off" or "work"."""

    province_code: str = ""
    declared: dict[date, str] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        kind = self.declared.get(day)
        if kind == "off":
            return False
        if kind == "work":
            return True
        if day in _public_holidays(day.year):
            return False
        if day.weekday() >= 5:
            return day in _library_workdays(day.year)
        return True

    def add(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``days`` >= 0; 0: ``start``)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current, left = start, days
        while left > 0:
            current += timedelta(days=1)
            if (current - start).days > MAX_SPAN_DAYS:
                raise ValueError("no working days in sight")
            if self.is_working_day(current):
                left -= 1
        return current

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def resume_due(self, due: date, paused_on: date, resumed_on: date) -> date:
        """The deadline after a pause: moved by the working days the clock was stopped."""
        return self.add(due, self.between(paused_on, resumed_on))


def calendar_for(session: Session, province_code: str = "") -> WorkCalendar:
    """The calendar of a province: the shipped swaps, then the table's national rows, then
    the province's own rows (each later source wins for the same day)."""
    declared = dict(_shipped())
    rows = session.execute(
        select(CalendarDay.day, CalendarDay.province_code, CalendarDay.kind).where(
            CalendarDay.province_code.in_(["", province_code])
        )
    ).all()
    for day, province, kind in sorted(rows, key=lambda r: r[1]):  # "" first, province last
        declared[day] = kind
        del province
    return WorkCalendar(province_code=province_code, declared=declared)


def declare_day(
    session: Session, day: date, kind: str, *, province_code: str = "", note: str = ""
) -> CalendarDay:
    """Enter a swap or a day off (nationwide with ``province_code`` ""), replacing an
    earlier declaration of the same day."""
    if kind not in DAY_KINDS:
        raise ValidationFailed(
            "The kind of day is 'off' or 'work'", code=ProcedureErrorCode.DAY_INVALID, field="kind"
        )
    if province_code:
        try:
            adminunits.province(province_code)
        except adminunits.UnknownUnitError as exc:
            raise ValidationFailed(
                "Unknown province", code=ProcedureErrorCode.DAY_INVALID, field="province_code"
            ) from exc
    row = session.get(CalendarDay, (day, province_code))
    if row is None:
        row = CalendarDay(day=day, province_code=province_code, kind=kind, note=note)
        session.add(row)
    else:
        row.kind, row.note = kind, note
    session.flush()
    return row


def declared_days(session: Session, province_code: str | None = None) -> list[CalendarDay]:
    stmt = select(CalendarDay).order_by(CalendarDay.day, CalendarDay.province_code)
    if province_code is not None:
        stmt = stmt.where(CalendarDay.province_code == province_code)
    return list(session.scalars(stmt))
