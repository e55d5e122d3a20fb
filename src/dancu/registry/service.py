"""Registry use cases: reading citizens (always audited) and entering new ones.

Civil-status events live in ``civil_status.py`` and the card lifecycle in ``cards.py``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit
from dancu.common.access import Actor, Permission, Role, require_purpose
from dancu.common.bounds import MAX_SEARCH_NAME, page_offset
from dancu.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dancu.common.textfold import fold
from dancu.db import is_postgres
from dancu.registry import cards
from dancu.registry import repository as repo
from dancu.registry import validation as rules
from dancu.registry.errors import RegistryErrorCode
from dancu.registry.models import Citizen
from dancu.registry.schemas import (
    AuditEntryOut,
    CardOut,
    CitizenIn,
    CitizenOut,
    CitizenSummary,
    HouseholdMemberOut,
    HouseholdOut,
    Page,
    ResidenceConfirmation,
)

RECORD_FIELDS = (
    "pid",
    "full_name",
    "birth_date",
    "sex",
    "ethnicity",
    "religion",
    "nationality",
    "place_of_birth",
    "hometown",
    "permanent_address",
    "temporary_address",
    "status",
    "marital_status",
    "household",
    "id_card",
)
SUMMARY_FIELDS = ("pid", "full_name", "birth_date", "sex", "commune")
MAX_PER_PAGE = 100


def commune_name(code: str | None) -> str:
    if not code:
        return ""
    unit = adminunits.find_commune(code)
    return unit.name if unit else code


def _load_visible(session: Session, actor: Actor, pid: str) -> Citizen:
    """The citizen with this PID inside the actor's area (404 outside it: reveal nothing)."""
    clean = rules.valid_pid(pid)
    citizen = repo.citizen_by_pid(session, actor, clean)
    if citizen is None:
        raise NotFound(
            "No citizen with this ID number", code=RegistryErrorCode.CITIZEN_NOT_FOUND, field="pid"
        )
    return citizen


def get_citizen(
    session: Session, pid: str, *, actor: Actor, purpose: str | None, today: date | None = None
) -> CitizenOut:
    """One citizen's full record (the card's validity as of ``today``); writes an audit
    entry naming the actor and the purpose."""
    actor.require(Permission.CITIZEN_READ)
    purpose = require_purpose(purpose)
    clean = rules.valid_pid(pid)
    if is_postgres(session):  # the read and its entry in one statement (the hot path)
        params = audit.insert_params(actor, action="citizen.read", purpose=purpose)
        row = repo.citizen_record_audited(session, actor, clean, params, RECORD_FIELDS)
        return _record_out(session, row, pid, actor=actor, purpose=purpose, today=today)
    out = _citizen_out(session, pid, actor=actor, purpose=purpose, today=today)
    audit.record(
        session,
        actor,
        action="citizen.read",
        subject_type="citizen",
        subject_id=out.pid,
        purpose=purpose,
        fields=RECORD_FIELDS,
    )
    return out


def read_for_release(
    session: Session, pid: str, *, actor: Actor, purpose: str | None, today: date | None = None
) -> CitizenOut:
    """One citizen's record for the exchange door, which releases part of it to a partner
    and audits that release itself, under the citizen, in the same transaction: one entry
    in the citizen's access list per partner request, naming exactly the fields released,
    not a second one naming the whole record. Only a partner or the system reads this way;
    a refusal (unknown, outside the area) is audited here."""
    actor.require(Permission.CITIZEN_READ)
    if not actor.roles & {Role.SYSTEM, Role.EXCHANGE_PARTNER}:
        raise Forbidden("Only the exchange door reads this way")
    return _citizen_out(session, pid, actor=actor, purpose=require_purpose(purpose), today=today)


def _citizen_out(
    session: Session, pid: str, *, actor: Actor, purpose: str, today: date | None
) -> CitizenOut:
    """The record as shown (not audited here); a refusal is audited and raised."""
    row = repo.citizen_record(session, actor, rules.valid_pid(pid))
    return _record_out(session, row, pid, actor=actor, purpose=purpose, today=today)


def _record_out(
    session: Session,
    row: Any,
    pid: str,
    *,
    actor: Actor,
    purpose: str,
    today: date | None,
) -> CitizenOut:
    """A ``citizen_record`` row as shown; no row is a refusal, audited and raised."""
    if row is None:  # unknown, or outside the actor's area: audited all the same
        audit.record_refusal(
            session,
            actor,
            action="citizen.read_refused",
            subject_type="citizen",
            subject_id=pid,
            purpose=purpose,
        )
        raise NotFound(
            "No citizen with this ID number", code=RegistryErrorCode.CITIZEN_NOT_FOUND, field="pid"
        )
    card = None
    if row["card_id"] is not None:
        card = CardOut.model_validate({f: row[f"card_{f}"] for f in repo.CARD_FIELDS})
        card.validity = cards.validity(card.status, card.expires_on, today or date.today())
    return CitizenOut.model_validate(
        {
            **row,
            "permanent_address": adminunits.format_address(
                row["address_detail"], row["commune_code"]
            ),
            "card": card,
        }
    )


def residence_confirmation(
    session: Session, pid: str, *, actor: Actor, purpose: str | None, today: date | None = None
) -> ResidenceConfirmation:
    """What a residence confirmation (form CT07) states about a citizen: the record, the
    household and its other members. One audit entry for the citizen (the confirmation)
    and one ``household.read`` for each other member listed."""
    actor.require(Permission.CITIZEN_READ)
    purpose = require_purpose(purpose)
    citizen = _citizen_out(session, pid, actor=actor, purpose=purpose, today=today)
    household = _household(session, _load_visible(session, actor, citizen.pid).id)
    audit.record(
        session,
        actor,
        action="citizen.residence_confirmation",
        subject_type="citizen",
        subject_id=citizen.pid,
        purpose=purpose,
        fields=RECORD_FIELDS,
    )
    others = [m.pid for m in household.members if m.pid != citizen.pid] if household else []
    audit.record_many(
        session,
        actor,
        action="household.read",
        subject_type="citizen",
        subject_ids=others,
        purpose=purpose,
        fields=("pid", "full_name", "birth_date", "sex", "relation", "status"),
    )
    head = next((m for m in household.members if m.relation == "head"), None) if household else None
    return ResidenceConfirmation(
        citizen=citizen,
        household=household,
        head=head,
        issued_on=today or date.today(),
        authority_commune=commune_name(citizen.commune_code),
    )


def search(
    session: Session,
    *,
    actor: Actor,
    purpose: str | None,
    name: str | None = None,
    birth_date: date | None = None,
    commune_code: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page[CitizenSummary]:
    """Search by folded name, birth date and commune; each listed citizen is audited."""
    actor.require(Permission.CITIZEN_SEARCH)
    purpose = require_purpose(purpose)
    folded = fold(rules.valid_text(name or "", "name", MAX_SEARCH_NAME))
    if not folded and not birth_date and not commune_code:
        raise ValidationFailed(
            "Give a name, a birth date or a commune",
            code=RegistryErrorCode.SEARCH_EMPTY,
            field="name",
        )
    if commune_code:
        rules.valid_commune(commune_code)
    offset = page_offset(page, per_page, MAX_PER_PAGE)
    rows, total = repo.search_citizens(
        session,
        actor,
        name_folded=folded or None,
        birth_date=birth_date,
        commune_code=commune_code,
        offset=offset,
        limit=per_page,
    )
    audit.record_many(
        session,
        actor,
        action="citizen.listed",
        subject_type="citizen",
        subject_ids=[c.pid for c in rows],
        purpose=purpose,
        fields=SUMMARY_FIELDS,
    )
    items = [
        CitizenSummary.model_validate(c).model_copy(
            update={"commune_name": commune_name(c.commune_code)}
        )
        for c in rows
    ]
    return Page[CitizenSummary](items=items, page=page, per_page=per_page, total=total)


def household_of(session: Session, pid: str, *, actor: Actor, purpose: str | None) -> HouseholdOut:
    """The household of a citizen's permanent residence; every member listed is audited."""
    actor.require(Permission.CITIZEN_READ)
    purpose = require_purpose(purpose)
    citizen = _load_visible(session, actor, pid)
    household = _household(session, citizen.id)
    if household is None:
        raise NotFound(
            "The citizen belongs to no household", code=RegistryErrorCode.HOUSEHOLD_NOT_FOUND
        )
    audit.record_many(
        session,
        actor,
        action="household.read",
        subject_type="citizen",
        subject_ids=[m.pid for m in household.members],
        purpose=purpose,
        fields=("pid", "full_name", "birth_date", "sex", "relation", "status"),
    )
    return household


def _household(session: Session, citizen_id: int) -> HouseholdOut | None:
    """The household a citizen belongs to, with its members (not audited here)."""
    membership = repo.membership_of(session, citizen_id)
    if membership is None:
        return None
    household = repo.household_by_id(session, membership.household_id)
    assert household is not None  # a foreign key guarantees it
    members = repo.household_members(session, household.id)
    return HouseholdOut(
        household_no=household.household_no,
        commune_code=household.commune_code,
        address=adminunits.format_address(household.address_detail, household.commune_code),
        members=[
            HouseholdMemberOut(
                pid=c.pid,
                full_name=c.full_name,
                birth_date=c.birth_date,
                sex=c.sex,  # type: ignore[arg-type]
                relation=m.relation,  # type: ignore[arg-type]
                status=c.status,
            )
            for m, c in members
        ],
    )


def audit_trail(
    session: Session, pid: str, *, actor: Actor, limit: int = 100
) -> list[AuditEntryOut]:
    """Who read or changed this citizen's data (officers with audit rights, in their area)."""
    actor.require(Permission.AUDIT_READ)
    citizen = _load_visible(session, actor, pid)
    return [
        AuditEntryOut.model_validate(e)
        for e in audit.trail(session, "citizen", citizen.pid, limit=limit)
    ]


def listed_names(
    session: Session, pids: list[str], *, actor: Actor, purpose: str | None
) -> dict[str, str]:
    """The names of citizens a work list shows (a queue proposing them, say), for those in
    the actor's area; one ``citizen.listed`` audit entry per citizen named."""
    actor.require(Permission.CITIZEN_SEARCH)
    purpose = require_purpose(purpose)
    names = repo.names_by_pid(session, actor, sorted(set(pids)))
    audit.record_many(
        session,
        actor,
        action="citizen.listed",
        subject_type="citizen",
        subject_ids=sorted(names),
        purpose=purpose,
        fields=("pid", "full_name"),
    )
    return names


def citizens_for_matching(
    session: Session, province_code: str, *, actor: Actor, purpose: str = "data_maintenance"
) -> list[dict[str, Any]]:
    """A province's citizens for matching sector data: one audit entry for the whole read,
    naming the actor, the purpose, the fields and how many citizens were read."""
    purpose = _bulk_read_allowed(province_code, actor=actor, purpose=purpose)
    rows = [dict(r) for r in repo.citizens_of_province(session, province_code)]
    _audit_bulk_read(session, province_code, actor=actor, purpose=purpose, count=len(rows))
    return rows


def citizen_columns_for_matching(
    session: Session, province_code: str, *, actor: Actor, purpose: str = "data_maintenance"
) -> pa.Table:
    """:func:`citizens_for_matching` as Arrow columns (``repository.MATCHING_SCHEMA``: text,
    dates in ISO form), read with ``COPY`` on PostgreSQL; the same checks and the same one
    audit entry. For a whole province (a million citizens) where dicts would cost seconds."""
    purpose = _bulk_read_allowed(province_code, actor=actor, purpose=purpose)
    table = repo.citizen_columns_of_province(session, province_code)
    _audit_bulk_read(session, province_code, actor=actor, purpose=purpose, count=table.num_rows)
    return table


def _bulk_read_allowed(province_code: str, *, actor: Actor, purpose: str) -> str:
    """The checked purpose of a whole-province read, or the refusal."""
    actor.require(Permission.REGISTRY_BULK_READ)
    purpose = require_purpose(purpose)
    if not actor.nationwide and province_code not in actor.province_units:
        raise Forbidden(
            "Reading a whole province needs an officer of that province",
            code=RegistryErrorCode.AREA_PROVINCE_REQUIRED,
            field="province_code",
        )
    return purpose


def _audit_bulk_read(
    session: Session, province_code: str, *, actor: Actor, purpose: str, count: int
) -> None:
    audit.record(
        session,
        actor,
        action="citizen.bulk_read",
        subject_type="province",
        subject_id=province_code,
        purpose=purpose,
        fields=(*repo.MATCHING_COLUMNS, f"count={count}"),
    )


def add_citizen(
    session: Session, data: CitizenIn, *, actor: Actor, today: date | None = None
) -> Citizen:
    """Enter one person into the registry (used by the import and by tests)."""
    actor.require(Permission.REGISTRY_IMPORT)
    citizen = build_citizen(data, today=today or date.today())
    if repo.pid_exists(session, citizen.pid):
        raise Conflict(
            "This ID number is already registered",
            code=RegistryErrorCode.PID_DUPLICATE,
            field="pid",
        )
    session.add(citizen)
    session.flush()
    return citizen


def build_citizen(data: CitizenIn, *, today: date) -> Citizen:
    """Validate a person's data and build the row (nothing is written)."""
    rules.valid_birth_date(data.birth_date, today)
    pid = rules.valid_pid(data.pid, birth_date=data.birth_date, sex=data.sex)
    commune = rules.valid_commune(data.commune_code)
    name = rules.valid_name(data.full_name)
    return Citizen(
        pid=pid,
        full_name=name,
        name_folded=fold(name),
        birth_date=data.birth_date,
        sex=data.sex,
        ethnicity=data.ethnicity,
        religion=data.religion,
        nationality=data.nationality.upper(),
        place_of_birth=data.place_of_birth,
        hometown=data.hometown,
        province_code=commune.province_code,
        commune_code=commune.code,
        address_detail=data.address_detail,
        status="alive",
        marital_status="single",
    )
