"""The registry check before every cycle: alive, living in the province (the commune list
follows a move), and in the category's ages on the month's first day.

One audited bulk read of the province's citizens (``registry.citizens_for_matching``) per
cycle, then a pure decision per beneficiary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.payments import programmes
from dancu.payments.area import PURPOSE
from dancu.payments.models import Beneficiary, Category
from dancu.registry import service as registry

Facts = dict[str, dict[str, Any]]  # pid -> the registry's row


@dataclass(frozen=True, slots=True)
class Verdict:
    payable: bool
    reason: str | None = None  # deceased, moved_out, age, unknown
    death_date: date | None = None
    commune_code: str | None = None  # where the registry says they live now


def registry_facts(session: Session, province_code: str, *, actor: Actor) -> Facts:
    rows = registry.citizens_for_matching(session, province_code, actor=actor, purpose=PURPOSE)
    return {r["pid"]: r for r in rows}


def judge(
    beneficiary: Beneficiary, category: Category, facts: Facts, month: date, *, one_off: bool
) -> Verdict:
    row = facts.get(beneficiary.pid)
    if row is None:
        return Verdict(False, "moved_out")
    if one_off:  # a funeral allowance: paid for the deceased
        return Verdict(
            row["status"] == "deceased", None if row["status"] == "deceased" else "alive"
        )
    if row["status"] != "alive":
        return Verdict(False, "deceased", death_date=row["death_date"])
    age = programmes.age_on(row["birth_date"], month)
    if (category.min_age is not None and age < category.min_age) or (
        category.max_age is not None and age >= category.max_age
    ):
        return Verdict(False, "age", commune_code=row["commune_code"])
    return Verdict(True, commune_code=row["commune_code"])
