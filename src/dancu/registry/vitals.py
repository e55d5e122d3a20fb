"""The narrow registry read that a benefit's eligibility needs: for given ID numbers, the
birth date, alive or dead (and the death date), and the permanent residence.

A payment cycle re-checks its beneficiaries before every month. Reading the whole province
for that (``service.citizens_for_matching``: names, addresses, every resident) costs about
1.5 GB at 1,000,000 citizens; this reads only the beneficiaries, only these fields, in
batches, inside the actor's area (a citizen who moved out of it is simply absent). Each
citizen read gets an audit entry naming the actor, the purpose and the fields, so the
citizen sees who checked them, as with every other read of one person's record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor, Permission, require_purpose
from dancu.registry.models import Citizen
from dancu.registry.repository import citizens_readable_by

FIELDS = ("pid", "birth_date", "status", "death_date", "province_code", "commune_code")
BATCH = 5000  # ID numbers per query (under SQLite's and PostgreSQL's parameter limits)


@dataclass(frozen=True, slots=True)
class Vitals:
    pid: str
    birth_date: date
    status: str  # alive, deceased
    death_date: date | None
    province_code: str  # permanent residence
    commune_code: str


def vitals_by_pid(
    session: Session,
    pids: Iterable[str],
    *,
    actor: Actor,
    purpose: str | None,
    batch: int = BATCH,
) -> dict[str, Vitals]:
    """The eligibility facts of the given citizens inside the actor's area, by ID number
    (an ID number outside the area or unknown is absent); one audit entry per citizen read."""
    actor.require(Permission.CITIZEN_READ)
    purpose = require_purpose(purpose)
    wanted = sorted(set(pids))
    found: dict[str, Vitals] = {}
    base = citizens_readable_by(actor).with_only_columns(*(getattr(Citizen, f) for f in FIELDS))
    for start in range(0, len(wanted), batch):
        chunk = wanted[start : start + batch]
        rows = [Vitals(*row) for row in session.execute(base.where(Citizen.pid.in_(chunk)))]
        audit.record_many(
            session,
            actor,
            action="citizen.vitals_read",
            subject_type="citizen",
            subject_ids=[r.pid for r in rows],
            purpose=purpose,
            fields=FIELDS,
        )
        found.update((r.pid, r) for r in rows)
    return found
