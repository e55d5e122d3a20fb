"""Registry JSON routes: parse, authorize, call one service function, return.

Reads of personal data need a purpose: the ``X-Purpose`` header or the ``purpose`` query
parameter. Event writes accept an ``Idempotency-Key`` header.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, status

from dancu.common.bounds import Code, Id, PageNo, SearchName
from dancu.registry import cards, civil_status, service
from dancu.registry.schemas import (
    AuditEntryOut,
    BirthIn,
    CardApplicationIn,
    CardOut,
    CardTransitionIn,
    CitizenOut,
    CitizenSummary,
    CivilEventOut,
    DeathIn,
    DivorceIn,
    HouseholdOut,
    MarriageIn,
    Page,
    ResidenceChangeIn,
)
from dancu.web.deps import ActorUnitOfWork, CurrentActor, DbSession

router = APIRouter(prefix="/api/registry", tags=["registry"])

PurposeHeader = Annotated[Code | None, Header(alias="X-Purpose")]
PurposeQuery = Annotated[Code | None, Query(alias="purpose")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=80)]


@router.get("/citizens/{pid}", response_model=CitizenOut)
async def get_citizen(
    pid: Code,
    work: ActorUnitOfWork,
    x_purpose: PurposeHeader = None,
    purpose: PurposeQuery = None,
) -> Response:
    # The hottest read: token check, read, audit entry and commit in one thread-pool hop;
    # on PostgreSQL the read and its entry are one statement, run in autocommit (no BEGIN
    # and COMMIT round trips); the record is serialized once (``CitizenOut`` is still what
    # /openapi.json declares).
    chosen = x_purpose or purpose
    out = await work(
        lambda db, actor: service.get_citizen(db, pid, actor=actor, purpose=chosen),
        single_statement=True,
    )
    return Response(out.model_dump_json(), media_type="application/json")


@router.get("/citizens", response_model=Page[CitizenSummary])
def search_citizens(
    db: DbSession,
    actor: CurrentActor,
    name: SearchName | None = None,
    birth_date: date | None = None,
    commune_code: Code | None = None,
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=service.MAX_PER_PAGE)] = 20,
    x_purpose: PurposeHeader = None,
    purpose: PurposeQuery = None,
) -> Page[CitizenSummary]:
    return service.search(
        db,
        actor=actor,
        purpose=x_purpose or purpose,
        name=name,
        birth_date=birth_date,
        commune_code=commune_code,
        page=page,
        per_page=per_page,
    )


@router.get("/citizens/{pid}/household", response_model=HouseholdOut)
def get_household(
    pid: Code,
    db: DbSession,
    actor: CurrentActor,
    x_purpose: PurposeHeader = None,
    purpose: PurposeQuery = None,
) -> HouseholdOut:
    return service.household_of(db, pid, actor=actor, purpose=x_purpose or purpose)


@router.get("/citizens/{pid}/audit", response_model=list[AuditEntryOut])
def get_audit_trail(pid: Code, db: DbSession, actor: CurrentActor) -> list[AuditEntryOut]:
    return service.audit_trail(db, pid, actor=actor)


_CREATED = {"status_code": status.HTTP_201_CREATED, "response_model": CivilEventOut}


@router.post("/events/birth", **_CREATED)
def register_birth(
    body: BirthIn, db: DbSession, actor: CurrentActor, key: IdempotencyKey = None
) -> CivilEventOut:
    return civil_status.register_birth(db, body, actor=actor, key=key)


@router.post("/events/death", **_CREATED)
def register_death(
    body: DeathIn, db: DbSession, actor: CurrentActor, key: IdempotencyKey = None
) -> CivilEventOut:
    return civil_status.register_death(db, body, actor=actor, key=key)


@router.post("/events/marriage", **_CREATED)
def register_marriage(
    body: MarriageIn, db: DbSession, actor: CurrentActor, key: IdempotencyKey = None
) -> CivilEventOut:
    return civil_status.register_marriage(db, body, actor=actor, key=key)


@router.post("/events/divorce", **_CREATED)
def register_divorce(
    body: DivorceIn, db: DbSession, actor: CurrentActor, key: IdempotencyKey = None
) -> CivilEventOut:
    return civil_status.register_divorce(db, body, actor=actor, key=key)


@router.post("/events/residence", **_CREATED)
def register_residence_change(
    body: ResidenceChangeIn, db: DbSession, actor: CurrentActor, key: IdempotencyKey = None
) -> CivilEventOut:
    return civil_status.register_residence_change(db, body, actor=actor, key=key)


@router.post("/cards", status_code=status.HTTP_201_CREATED, response_model=CardOut)
def apply_for_card(body: CardApplicationIn, db: DbSession, actor: CurrentActor) -> CardOut:
    return cards.apply_for_card(db, body, actor=actor)


@router.post("/cards/{card_id}/{action}", response_model=CardOut)
def transition_card(
    card_id: Id,
    action: Literal["produce", "issue", "report_lost", "revoke"],
    db: DbSession,
    actor: CurrentActor,
    body: CardTransitionIn | None = None,
) -> CardOut:
    step = body or CardTransitionIn()
    return cards.transition_card(db, card_id, action, actor=actor, on=step.on, reason=step.reason)
