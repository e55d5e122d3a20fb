"""Every registry query, built on access-scoped base statements.

``citizens_readable_by(actor)`` is where area scoping lives: a commune officer's statement
only ever reaches that commune's residents, so a forgotten check returns nothing rather
than everything.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import pyarrow as pa
from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Select,
    String,
    and_,
    bindparam,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from dancu.common import audit, bulk_read
from dancu.common.access import Actor
from dancu.db import is_postgres
from dancu.registry.models import Citizen, CivilEvent, Household, HouseholdMember, IdCard

ACTIVE_CARD_STATES = ("applied", "produced", "issued")


def citizens_readable_by(actor: Actor) -> Select[tuple[Citizen]]:
    stmt = select(Citizen)
    if actor.nationwide:
        return stmt
    area = _area(
        Citizen.province_code, Citizen.commune_code, actor.province_units, actor.commune_units
    )
    return stmt.where(area)


def _area(
    province: Any,
    commune: Any,
    provinces: tuple[str, ...],
    communes: tuple[str, ...],
    *,
    inline: bool = False,
) -> ColumnElement[bool]:
    """Residence inside the given provinces or communes (an actor without units: nowhere).
    ``inline``: the codes are written into the statement (one cached per area shape) instead
    of an expanding ``IN`` that SQLAlchemy re-renders on every execution."""
    conditions = []
    for where, codes in ((province, provinces), (commune, communes)):
        if codes and inline:
            conditions.append(where.in_([_sql_string(c) for c in codes]))
        elif codes:
            conditions.append(where.in_(codes))
    return or_(false(), *conditions)


def _sql_string(value: str) -> ColumnElement[str]:
    """A string constant written into SQL (standard-conforming quoting)."""
    return literal_column("'" + value.replace("'", "''") + "'", String())


def citizen_by_pid(session: Session, actor: Actor, pid: str) -> Citizen | None:
    return session.scalars(citizens_readable_by(actor).where(Citizen.pid == pid)).first()


_ACTIVE_CARD_STATES_SQL = [_sql_string(s) for s in ACTIVE_CARD_STATES]  # in the statement
CARD_FIELDS = tuple(c.name for c in IdCard.__table__.columns if c.name != "citizen_id")


def citizen_record(session: Session, actor: Actor, pid: str) -> RowMapping | None:
    """A citizen in the actor's area with, in the same statement, what the record shows:
    ``spouse_pid``, ``household_no``, ``relation_to_head`` and the current card's columns
    as ``card_<name>`` (all None without a card). A plain Core row: this is the hottest
    read of the platform."""
    stmt = _citizen_record_stmt(actor.nationwide, actor.province_units, actor.commune_units)
    return session.connection().execute(stmt, {"pid": pid}).mappings().first()


@lru_cache(maxsize=1024)
def _citizen_record_stmt(
    nationwide: bool, provinces: tuple[str, ...], communes: tuple[str, ...], inline: bool = False
) -> Select[Any]:
    """Built once per area shape; the actor's scope is part of the cache key (``inline``:
    its codes written into the statement, see ``_area``)."""
    citizen, card = Citizen.__table__, IdCard.__table__
    spouse = citizen.alias("spouse")
    member, household = HouseholdMember.__table__, Household.__table__
    current_card = (  # the card in progress or valid, else the newest one
        select(card.c.id)
        .where(card.c.citizen_id == citizen.c.id)
        .order_by(card.c.status.in_(_ACTIVE_CARD_STATES_SQL).desc(), card.c.id.desc())
        .limit(1)
        .correlate(citizen)
        .scalar_subquery()
    )
    stmt = (
        select(
            citizen,
            spouse.c.pid.label("spouse_pid"),
            household.c.household_no,
            member.c.relation.label("relation_to_head"),
            *(card.c[name].label(f"card_{name}") for name in CARD_FIELDS),
        )
        .select_from(citizen)
        .outerjoin(spouse, spouse.c.id == citizen.c.spouse_id)
        .outerjoin(member, member.c.citizen_id == citizen.c.id)
        .outerjoin(household, household.c.id == member.c.household_id)
        .outerjoin(card, card.c.id == current_card)
        .where(citizen.c.pid == bindparam("pid"))
    )
    if not nationwide:
        area = _area(
            citizen.c.province_code, citizen.c.commune_code, provinces, communes, inline=inline
        )
        stmt = stmt.where(area)
    return stmt


def citizen_record_audited(
    session: Session, actor: Actor, pid: str, audit_params: dict[str, Any], fields: tuple[str, ...]
) -> dict[str, Any] | None:
    """``citizen_record`` and its ``citizen.read`` audit entry in ONE statement (PostgreSQL):
    a data-modifying CTE appends the entry for the row read, so the read, the entry and then
    the COMMIT cost two round trips. No row read, no entry (the caller audits the refusal).
    ``audit_params`` come from ``audit.insert_params``.

    The row comes back as ONE json column (``row_to_json``), a dict with the same keys:
    psycopg builds a column description per column on every execution, which for the
    record's 38 columns cost more than the JSON (dates come as ISO strings, which the
    pydantic schemas parse)."""
    stmt = _audited_record_stmt(actor.nationwide, actor.province_units, actor.commune_units, fields)
    return session.connection().execute(stmt, {"pid": pid, **audit_params}).scalar()


@lru_cache(maxsize=1024)
def _audited_record_stmt(
    nationwide: bool, provinces: tuple[str, ...], communes: tuple[str, ...], fields: tuple[str, ...]
) -> Select[Any]:
    record = _citizen_record_stmt(nationwide, provinces, communes, inline=True).cte("record")
    entry = audit.insert_from("citizen", record.c.pid, fields).cte("entry")
    return select(func.row_to_json(record.table_valued())).add_cte(entry)


def citizen_by_pid_for_update(session: Session, actor: Actor, pid: str) -> Citizen | None:
    stmt = citizens_readable_by(actor).where(Citizen.pid == pid).with_for_update()
    return session.scalars(stmt).first()


def pid_exists(session: Session, pid: str) -> bool:
    """Unscoped existence check (uniqueness is global; it reveals nothing else)."""
    return session.scalar(select(Citizen.id).where(Citizen.pid == pid)) is not None


def citizen_pids(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Citizen.id, Citizen.pid).where(Citizen.id.in_(ids)))
    return {row.id: row.pid for row in rows}


def search_citizens(
    session: Session,
    actor: Actor,
    *,
    name_folded: str | None,
    birth_date: date | None,
    commune_code: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Citizen], int]:
    stmt = citizens_readable_by(actor).where(
        *search_conditions(session, name_folded, birth_date, commune_code)
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Citizen.name_folded, Citizen.birth_date, Citizen.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def search_conditions(
    session: Session, name_folded: str | None, birth_date: date | None, commune_code: str | None
) -> list[ColumnElement[bool]]:
    """The search's conditions. With a birth date the name is checked by its rule alone,
    not through the word index: the birth date's index narrows a country to a few hundred
    people, while the planner, offered the word index too, took it and read every namesake
    (10,000,000 citizens: 64 ms with it against 8 ms without, docs/capacity.md)."""
    conditions: list[ColumnElement[bool]] = []
    if name_folded:
        conditions += name_matches(session, name_folded, word_index=birth_date is None)
    if birth_date:
        conditions.append(Citizen.birth_date == birth_date)
    if commune_code:
        conditions.append(Citizen.commune_code == commune_code)
    return conditions


_PADDED_NAME = literal_column("' '", String) + Citizen.name_folded + literal_column("' '", String)
# The word index of migration 0009, written as its expression (the text search
# configuration a literal, not a bound parameter) so that PostgreSQL's planner matches it.
_SIMPLE = literal_column("'simple'")
_NAME_WORDS = func.to_tsvector(_SIMPLE, Citizen.name_folded)
_FTS = table("citizen_name_fts", column("rowid"))


def name_matches(
    session: Session, name_folded: str, *, word_index: bool = True
) -> list[ColumnElement[bool]]:
    """Whole words in order: "van an" finds "nguyen van an", not "nguyen van anh".

    The padded LIKE is the rule on both backends; a word index finds the candidates first
    (a phrase query: on PostgreSQL over ``to_tsvector``, on SQLite in the FTS5 table), and
    the LIKE decides, since both split words on punctuation too. ``word_index=False``: the
    LIKE alone, for a search another condition narrows better."""
    like = _PADDED_NAME.like(f"% {_escape_like(name_folded)} %", escape="\\")
    if not word_index:
        return [like]
    if is_postgres(session):
        phrase = func.phraseto_tsquery(_SIMPLE, bindparam("phrase", name_folded, type_=String))
        return [_NAME_WORDS.op("@@")(phrase), like]
    match = text("citizen_name_fts MATCH :phrase").bindparams(
        bindparam("phrase", '"' + name_folded.replace('"', '""') + '"', type_=String)
    )
    return [Citizen.id.in_(select(_FTS.c.rowid).where(match)), like]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def membership_of(session: Session, citizen_id: int) -> HouseholdMember | None:
    return session.scalars(
        select(HouseholdMember).where(HouseholdMember.citizen_id == citizen_id)
    ).first()


def household_by_id(session: Session, household_id: int) -> Household | None:
    return session.get(Household, household_id)


def household_by_no(session: Session, household_no: str) -> Household | None:
    return session.scalars(select(Household).where(Household.household_no == household_no)).first()


def household_head(session: Session, household_id: int) -> HouseholdMember | None:
    return session.scalars(
        select(HouseholdMember).where(
            HouseholdMember.household_id == household_id, HouseholdMember.relation == "head"
        )
    ).first()


def marriage_date(session: Session, a_id: int, b_id: int) -> date | None:
    """The date of the latest marriage registered between two citizens, if any."""
    pair = or_(
        and_(CivilEvent.citizen_id == a_id, CivilEvent.other_citizen_id == b_id),
        and_(CivilEvent.citizen_id == b_id, CivilEvent.other_citizen_id == a_id),
    )
    return session.scalar(
        select(func.max(CivilEvent.occurred_on)).where(CivilEvent.kind == "marriage", pair)
    )


def household_members(session: Session, household_id: int) -> list[tuple[HouseholdMember, Citizen]]:
    stmt = (
        select(HouseholdMember, Citizen)
        .join(Citizen, Citizen.id == HouseholdMember.citizen_id)
        .where(HouseholdMember.household_id == household_id)
        .order_by(HouseholdMember.id)
    )
    return [(m, c) for m, c in session.execute(stmt)]


def active_card(session: Session, citizen_id: int) -> IdCard | None:
    stmt = select(IdCard).where(
        IdCard.citizen_id == citizen_id, IdCard.status.in_(ACTIVE_CARD_STATES)
    )
    return session.scalars(stmt).first()


def card_with_holder(session: Session, actor: Actor, card_id: int) -> tuple[IdCard, Citizen] | None:
    """A card and its holder, when the holder lies in the actor's area."""
    stmt = (
        citizens_readable_by(actor)
        .add_columns(IdCard)
        .join(IdCard, IdCard.citizen_id == Citizen.id)
        .where(IdCard.id == card_id)
    )
    row = session.execute(stmt).first()
    return (row[1], row[0]) if row else None


def next_pid_serial(session: Session, prefix: str) -> int:
    """One more than the highest serial in use after a 6-digit PID prefix."""
    highest = session.scalar(
        select(func.max(Citizen.pid)).where(
            Citizen.pid >= prefix + "000000", Citizen.pid <= prefix + "999999"
        )
    )
    serial = int(highest[6:]) + 1 if highest else 1
    if serial > 999_999:
        raise OverflowError(f"no PID serial left after {prefix}")
    return serial


MATCHING_COLUMNS = (
    "pid",
    "full_name",
    "birth_date",
    "sex",
    "province_code",
    "commune_code",
    "address_detail",
    "status",
    "death_date",
)


# the same columns as text (dates in ISO form), for the columnar read
MATCHING_SCHEMA = pa.schema([(c, pa.string()) for c in MATCHING_COLUMNS])


def _of_province(province_code: str) -> Select[Any]:
    columns = [getattr(Citizen, c) for c in MATCHING_COLUMNS]
    return select(*columns).where(Citizen.province_code == province_code).order_by(Citizen.id)


def citizens_of_province(session: Session, province_code: str) -> list[RowMapping]:
    """Every citizen resident in a province, with the columns record linkage compares."""
    return list(session.execute(_of_province(province_code)).mappings())


def citizen_columns_of_province(session: Session, province_code: str) -> pa.Table:
    """The same citizens as Arrow columns (:data:`MATCHING_SCHEMA`), read with ``COPY`` on
    PostgreSQL: no Python object per citizen."""
    return bulk_read.read_table(session, _of_province(province_code), MATCHING_SCHEMA)


def names_by_pid(session: Session, actor: Actor, pids: list[str]) -> dict[str, str]:
    """Full names of the given citizens that live in the actor's area (others are absent)."""
    if not pids:
        return {}
    stmt = citizens_readable_by(actor).with_only_columns(Citizen.pid, Citizen.full_name)
    return {row.pid: row.full_name for row in session.execute(stmt.where(Citizen.pid.in_(pids)))}
