"""The registry check before every cycle: alive, living in the province (the commune list
follows a move), and in the category's ages on the month's first day.

One narrow audited read of the beneficiaries alone (``registry.vitals.vitals_by_pid``:
birth date, alive or dead, permanent residence, in batches) per cycle, then a pure
decision per beneficiary. A citizen outside the province, or outside the officer's area,
is absent from the facts and judged moved out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.payments import programmes
from dancu.payments.area import PURPOSE
from dancu.payments.models import Beneficiary, Category
from dancu.registry.vitals import Vitals, vitals_by_pid

Facts = dict[str, Vitals]  # pid -> what the registry says of them


@dataclass(frozen=True, slots=True)
class Verdict:
    payable: bool
    reason: str | None = None  # deceased, moved_out, age, unknown
    death_date: date | None = None
    commune_code: str | None = None  # where the registry says they live now


def registry_facts(
    session: Session, province_code: str, pids: Iterable[str], *, actor: Actor
) -> Facts:
    """The registry's facts on these citizens, for those living in the province."""
    found = vitals_by_pid(session, pids, actor=actor, purpose=PURPOSE)
    return {pid: v for pid, v in found.items() if v.province_code == province_code}


def judge(
    beneficiary: Beneficiary, category: Category, facts: Facts, month: date, *, one_off: bool
) -> Verdict:
    row = facts.get(beneficiary.pid)
    if row is None:
        return Verdict(False, "moved_out")
    if one_off:  # a funeral allowance: paid for the deceased
        return Verdict(row.status == "deceased", None if row.status == "deceased" else "alive")
    if row.status != "alive":
        return Verdict(False, "deceased", death_date=row.death_date)
    age = programmes.age_on(row.birth_date, month)
    if (category.min_age is not None and age < category.min_age) or (
        category.max_age is not None and age >= category.max_age
    ):
        return Verdict(False, "age", commune_code=row.commune_code)
    return Verdict(True, commune_code=row.commune_code)
