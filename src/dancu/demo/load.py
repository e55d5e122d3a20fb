"""Write a generated synthetic province into the registry (COPY on PostgreSQL)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit, bulk
from dancu.common.access import Actor
from dancu.common.textfold import fold
from dancu.db import is_postgres, utcnow
from dancu.demo.population import HouseholdRow, generate
from dancu.registry.cards import card_expiry
from dancu.registry.models import Citizen, CivilEvent, Household, HouseholdMember, IdCard

CITIZEN_COLUMNS = (
    "id",
    "pid",
    "full_name",
    "name_folded",
    "birth_date",
    "sex",
    "ethnicity",
    "religion",
    "nationality",
    "place_of_birth",
    "hometown",
    "province_code",
    "commune_code",
    "address_detail",
    "status",
    "death_date",
    "marital_status",
    "spouse_id",
    "created_at",
    "updated_at",
)
HOUSEHOLD_COLUMNS = (
    "id",
    "household_no",
    "province_code",
    "commune_code",
    "address_detail",
    "created_at",
)
MEMBER_COLUMNS = ("id", "household_id", "citizen_id", "relation")
CARD_COLUMNS = (
    "id",
    "citizen_id",
    "card_no",
    "serial",
    "status",
    "reason",
    "applied_on",
    "produced_on",
    "issued_on",
    "expires_on",
    "commune_code",
    "closed_reason",
    "updated_at",
)
EVENT_COLUMNS = (
    "id",
    "kind",
    "citizen_id",
    "occurred_on",
    "details",
    "registered_by",
    "registered_at",
)
BATCH_HOUSEHOLDS = 5_000


@dataclass(slots=True)
class _Ids:
    citizen: int
    household: int
    member: int
    card: int
    event: int


def registry_is_empty(session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(Citizen)) or 0) == 0


def load_demo(
    session: Session,
    *,
    actor: Actor,
    province_code: str,
    citizens: int,
    seed: int,
    today: date,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Generate and write ``citizens`` people of ``province_code``; returns how many."""
    ids = _Ids(
        *(
            bulk.reserve_ids(session, t.__table__, 0)
            for t in (Citizen, Household, HouseholdMember, IdCard, CivilEvent)  # type: ignore[attr-defined]
        )
    )
    rng = random.Random(seed)
    households = generate(province_code, citizens, seed, today)
    written = 0
    while batch := list(islice(households, BATCH_HOUSEHOLDS)):
        written += _write_batch(session, batch, ids, rng, link_spouses=is_postgres(session))
        if progress:
            progress(written)
    for table in (Citizen, Household, HouseholdMember, IdCard, CivilEvent):
        bulk.sync_sequence(session, table.__table__)  # type: ignore[attr-defined]
        bulk.analyze(session, table.__table__)  # type: ignore[attr-defined]
    audit.record(
        session,
        actor,
        action="demo.load",
        subject_type="registry",
        subject_id=province_code,
        purpose="data_maintenance",
        fields=(f"citizens:{written}",),
    )
    return written


def _write_batch(
    session: Session, batch: list[HouseholdRow], ids: _Ids, rng: random.Random, link_spouses: bool
) -> int:
    now = utcnow()
    citizens: list[tuple[Any, ...]] = []
    households, members, cards, events = [], [], [], []
    spouse_pairs: list[tuple[int, int]] = []
    for hh in batch:
        hh_id = ids.household
        ids.household += 1
        households.append(
            (
                hh_id,
                f"{hh.commune_code}{hh_id:08d}",
                _province_of(hh.commune_code),
                hh.commune_code,
                hh.address_detail,
                now,
            )
        )
        first_id = ids.citizen
        spouse_of = _spouses(hh, first_id)
        for offset, p in enumerate(hh.members):
            cid = first_id + offset
            spouse = spouse_of.get(cid)
            if spouse and cid < spouse:
                spouse_pairs.append((cid, spouse))
            citizens.append(
                (
                    cid,
                    p.pid,
                    p.full_name,
                    fold(p.full_name),
                    p.birth_date,
                    p.sex,
                    p.ethnicity,
                    p.religion,
                    p.nationality,
                    p.place_of_birth,
                    p.hometown,
                    _province_of(p.commune_code),
                    p.commune_code,
                    p.address_detail,
                    "deceased" if p.death_date else "alive",
                    p.death_date,
                    p.marital_status,
                    spouse if link_spouses else None,
                    now,
                    now,
                )
            )
            members.append((ids.member, hh_id, cid, p.relation))
            ids.member += 1
            if p.card_issued_on:
                cards.append(_card_row(ids.card, cid, p, rng, now))
                ids.card += 1
            if p.death_date:
                events.append(
                    (ids.event, "death", cid, p.death_date, {"source": "demo"}, "system:demo", now)
                )
                ids.event += 1
        ids.citizen += len(hh.members)
    bulk.copy_rows(session, Citizen.__table__, CITIZEN_COLUMNS, citizens)  # type: ignore[arg-type]
    if not link_spouses:
        _link_spouses(session, spouse_pairs)
    bulk.copy_rows(session, Household.__table__, HOUSEHOLD_COLUMNS, households)  # type: ignore[arg-type]
    bulk.copy_rows(session, HouseholdMember.__table__, MEMBER_COLUMNS, members)  # type: ignore[arg-type]
    bulk.copy_rows(session, IdCard.__table__, CARD_COLUMNS, cards)  # type: ignore[arg-type]
    if is_postgres(session):
        events = [(*e[:4], _json(e[4]), *e[5:]) for e in events]
    bulk.copy_rows(session, CivilEvent.__table__, EVENT_COLUMNS, events)  # type: ignore[arg-type]
    return len(citizens)


def _province_of(commune_code: str) -> str:
    return adminunits.commune(commune_code).province_code


def _spouses(hh: HouseholdRow, first_id: int) -> dict[int, int]:
    """The head and the member marked spouse are married to each other (both alive)."""
    head, spouse = 0, None
    for offset, p in enumerate(hh.members):
        if p.relation == "spouse" and spouse is None:
            spouse = offset
    if spouse is None:
        return {}
    a, b = hh.members[head], hh.members[spouse]
    if a.marital_status != "married" or b.marital_status != "married":
        return {}
    return {first_id + head: first_id + spouse, first_id + spouse: first_id + head}


def _link_spouses(session: Session, pairs: list[tuple[int, int]]) -> None:
    if not pairs:
        return
    table = Citizen.__table__
    stmt = table.update().where(table.c.id == bindparam("cid")).values(spouse_id=bindparam("sid"))
    params = [{"cid": a, "sid": b} for a, b in pairs] + [{"cid": b, "sid": a} for a, b in pairs]
    session.execute(stmt, params)


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


def _card_row(card_id: int, cid: int, p: Any, rng: random.Random, now: Any) -> tuple[Any, ...]:
    issued = p.card_issued_on
    applied = issued - timedelta(days=rng.randint(7, 25))
    produced = issued - timedelta(days=rng.randint(1, 6))
    status, closed = ("revoked", "holder deceased") if p.death_date else ("issued", None)
    return (
        card_id,
        cid,
        p.pid,
        f"{issued.year % 100:02d}{card_id:010d}",
        status,
        "first",
        applied,
        produced,
        issued,
        card_expiry(p.birth_date, issued),
        p.commune_code,
        closed,
        now,
    )
