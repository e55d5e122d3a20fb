"""The standard levels as the decrees set them, each from the date it applies."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from dancu.payments import programmes

SOCIAL = [
    (date(2014, 1, 1), 270_000),  # Decree 136/2013/NĐ-CP
    (date(2021, 6, 1), 270_000),
    (date(2021, 7, 1), 360_000),  # Decree 20/2021/NĐ-CP
    (date(2024, 6, 1), 360_000),
    (date(2024, 7, 1), 500_000),  # Decree 76/2024/NĐ-CP
    (date(2026, 1, 1), 500_000),
]
MERIT = [
    (date(2019, 7, 1), 1_624_000),  # Decree 58/2019/NĐ-CP
    (date(2021, 9, 1), 1_624_000),
    (date(2021, 10, 1), 1_624_000),  # Decree 75/2021/NĐ-CP, from 15 September 2021
    (date(2023, 6, 1), 1_624_000),
    (date(2023, 7, 1), 2_055_000),  # Decree 55/2023/NĐ-CP
    (date(2024, 6, 1), 2_055_000),
    (date(2024, 7, 1), 2_789_000),  # Decree 77/2024/NĐ-CP
]


@pytest.mark.parametrize(("month", "level"), SOCIAL)
def test_social_assistance_standard_level(programmed: Session, month: date, level: int) -> None:
    social = programmes.get_programme(programmed, programmes.SOCIAL)
    assert programmes.level_on(programmed, social.id, month) == level


@pytest.mark.parametrize(("month", "level"), MERIT)
def test_merit_standard_level(programmed: Session, month: date, level: int) -> None:
    merit = programmes.get_programme(programmed, programmes.MERIT)
    assert programmes.level_on(programmed, merit.id, month) == level


def test_every_level_cites_its_decree() -> None:
    for definition in programmes.PROGRAMMES:
        for _, amount, source in definition.levels:
            assert amount > 0 and "/NĐ-CP" in source, (definition.code, source)


def test_the_funeral_allowance_is_twenty_times_the_standard_level(programmed: Session) -> None:
    funeral = programmes.get_programme(programmed, programmes.FUNERAL)
    category = programmes.get_category(programmed, funeral, "beneficiary_funeral")
    level = programmes.level_on(programmed, funeral.id, date(2024, 7, 1))
    assert programmes.amount_for(level, category.coefficient) == 20 * 500_000
