"""Working days: weekends, public holidays with Tết, swaps, a province's days off, pauses."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from dancu.common.errors import ValidationFailed
from dancu.procedures import workdays
from dancu.procedures.workdays import WorkCalendar

CAL = WorkCalendar()


def test_weekend_is_not_a_working_day() -> None:
    assert CAL.is_working_day(date(2026, 3, 6))  # Friday
    assert not CAL.is_working_day(date(2026, 3, 7))  # Saturday
    assert not CAL.is_working_day(date(2026, 3, 8))  # Sunday
    assert CAL.add(date(2026, 3, 6), 1) == date(2026, 3, 9)  # Friday + 1 -> Monday
    assert CAL.add(date(2026, 3, 7), 1) == date(2026, 3, 9)  # received Saturday -> Monday


def test_tet_2026_closes_the_week_after_the_weekend() -> None:
    # Tết Bính Ngọ: 16 to 20 February 2026 off, with the weekends around it nine days.
    for day in range(14, 23):
        assert not CAL.is_working_day(date(2026, 2, day)), day
    assert CAL.add(date(2026, 2, 13), 1) == date(2026, 2, 23)
    # 5 working days from Thursday 12 Feb: Friday 13, then 23 to 26 Feb
    assert CAL.add(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert CAL.between(date(2026, 2, 13), date(2026, 2, 23)) == 1


def test_tet_2025_and_its_eve() -> None:
    assert not CAL.is_working_day(date(2025, 1, 28))  # Lunar New Year's Eve
    assert not CAL.is_working_day(date(2025, 1, 31))
    assert CAL.add(date(2025, 1, 24), 1) == date(2025, 2, 3)


def test_national_days_and_swaps() -> None:
    assert not CAL.is_working_day(date(2026, 9, 2))  # National Day
    assert not CAL.is_working_day(date(2026, 4, 27))  # Hùng Kings, observed on Monday
    assert CAL.is_working_day(date(2025, 4, 26))  # Saturday made a working day
    assert not CAL.is_working_day(date(2025, 5, 2))  # the Friday given in exchange
    assert not CAL.is_working_day(date(2026, 8, 31))


def test_province_day_off_and_declared_swap(session: Session) -> None:
    before = workdays.calendar_for(session, "66")
    assert before.is_working_day(date(2026, 3, 10))
    workdays.declare_day(session, date(2026, 3, 10), "off", province_code="66", note="Lễ hội")
    workdays.declare_day(session, date(2026, 3, 14), "work", note="Làm bù")
    cal = workdays.calendar_for(session, "66")
    assert not cal.is_working_day(date(2026, 3, 10))
    assert cal.is_working_day(date(2026, 3, 14))
    other = workdays.calendar_for(session, "01")
    assert other.is_working_day(date(2026, 3, 10)) and other.is_working_day(date(2026, 3, 14))
    assert cal.add(date(2026, 3, 9), 2) == date(2026, 3, 12)


def test_a_bad_declaration_is_refused(session: Session) -> None:
    with pytest.raises(ValidationFailed) as err:
        workdays.declare_day(session, date(2026, 3, 10), "holiday")
    assert err.value.code == "procedures.day_invalid"
    with pytest.raises(ValidationFailed):
        workdays.declare_day(session, date(2026, 3, 10), "off", province_code="99")
    assert workdays.declared_days(session) == []


def test_the_clock_stops_during_a_supplement() -> None:
    due = date(2026, 3, 13)  # Friday
    # paused Monday 9, resumed Monday 16: five working days stopped
    assert CAL.resume_due(due, date(2026, 3, 9), date(2026, 3, 16)) == date(2026, 3, 20)
    assert CAL.resume_due(due, date(2026, 3, 9), date(2026, 3, 9)) == due
    # paused over Tết: only the working days count
    assert CAL.resume_due(date(2026, 2, 13), date(2026, 2, 13), date(2026, 2, 23)) == date(
        2026, 2, 23
    )
