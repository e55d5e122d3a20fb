"""Procedures JSON routes: the public catalogue, the officer console and the figures.

The catalogue answers without sign-in. Everything else needs an officer (cookie session or
an access token with ``procedures.read`` / ``procedures.write``); the services authorize.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from dancu.common.bounds import Code, PageNo, SearchName
from dancu.procedures import catalogue, console, figures
from dancu.procedures import service as dossiers
from dancu.procedures.schemas import (
    AssignIn,
    DecisionIn,
    DossierOut,
    FiguresOut,
    ProcedureOut,
    QueuePage,
)
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/api/procedures", tags=["procedures"])


def procedure_out(p: catalogue.Procedure) -> ProcedureOut:
    data = p.model_dump()
    sector = catalogue.catalogue().sectors.get(p.sector)
    data["sector_name"] = sector.name if sector else p.sector
    data["sector_name_en"] = sector.name_en if sector else p.sector
    data["fee"] = {**data["fee"], "choices": [c.model_dump() for c in p.fee.choices]}
    data["steps"] = [s.model_dump() for s in p.steps]
    return ProcedureOut.model_validate(data)


@router.get("", response_model=list[ProcedureOut])
def list_procedures(
    q: SearchName = "",
    sector: Code | None = None,
    level: Code | None = None,
    essential: bool | None = None,
) -> list[ProcedureOut]:
    """The catalogue (public): every word of ``q`` must appear, diacritics optional."""
    found = catalogue.search(q, sector=sector, level=level, essential=essential)
    return [procedure_out(p) for p in found]


@router.get("/queue", response_model=QueuePage)
def queue(
    db: DbSession,
    actor: CurrentActor,
    agency: Code | None = None,
    status: Code | None = None,
    page: PageNo = 1,
) -> QueuePage:
    """The open dossiers waiting in the officer's agencies and units."""
    return console.queue(db, actor, agency=agency, status=status, page=page)


@router.get("/figures", response_model=FiguresOut)
def get_figures(
    db: DbSession,
    actor: CurrentActor,
    unit: Code,
    period_from: Annotated[date, Query(alias="from")],
    period_to: Annotated[date, Query(alias="to")],
) -> FiguresOut:
    """Figures of a province or commune over a period (dossiers submitted in it)."""
    return figures.figures(db, actor, unit=unit, period_from=period_from, period_to=period_to)


@router.get("/dossiers/{code}", response_model=DossierOut)
def get_dossier(code: Code, db: DbSession, actor: CurrentActor) -> DossierOut:
    return dossiers.describe(db, console.dossier_for(db, actor, code))


@router.post("/dossiers/{code}/lock", response_model=DossierOut)
def lock(code: Code, db: DbSession, actor: CurrentActor) -> DossierOut:
    return dossiers.describe(db, console.lock(db, actor, code))


@router.post("/dossiers/{code}/release", response_model=DossierOut)
def release(code: Code, db: DbSession, actor: CurrentActor) -> DossierOut:
    return dossiers.describe(db, console.release(db, actor, code))


@router.post("/dossiers/{code}/start", response_model=DossierOut)
def start(code: Code, db: DbSession, actor: CurrentActor) -> DossierOut:
    return dossiers.describe(db, console.start(db, actor, code))


@router.post("/dossiers/{code}/assign", response_model=DossierOut)
def assign(code: Code, body: AssignIn, db: DbSession, actor: CurrentActor) -> DossierOut:
    return dossiers.describe(db, console.assign(db, actor, code, body.officer_id))


@router.post("/dossiers/{code}/supplement", response_model=DossierOut)
def supplement(code: Code, body: DecisionIn, db: DbSession, actor: CurrentActor) -> DossierOut:
    return dossiers.describe(db, console.request_supplement(db, actor, code, body.reason))


@router.post("/dossiers/{code}/approve", response_model=DossierOut)
def approve(code: Code, body: DecisionIn, db: DbSession, actor: CurrentActor) -> DossierOut:
    return dossiers.describe(db, console.approve(db, actor, code, body.reason))


@router.post("/dossiers/{code}/reject", response_model=DossierOut)
def reject(code: Code, body: DecisionIn, db: DbSession, actor: CurrentActor) -> DossierOut:
    return dossiers.describe(db, console.reject(db, actor, code, body.reason))


@router.get("/{code}", response_model=ProcedureOut)
def get_procedure(code: Code) -> ProcedureOut:
    """One procedure of the catalogue (public)."""
    return procedure_out(catalogue.get(code))
