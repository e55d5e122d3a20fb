"""The exchange door's JSON routes (``/api/exchange/...``), for partner systems.

Every route runs through ``door.serve``: the partner's credential, purpose, fields and rate
limit are checked, the answer is minimised to the purpose's fields, and the request and
answer go to the signed message log. A refusal is an answer with a stable code (and
``Retry-After`` on 429). Access tokens need the scope ``exchange.use``; a token refused
before the door (unknown, expired, a replayed DPoP proof) is audited as well.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor
from dancu.common.bounds import Code, Id
from dancu.common.errors import Forbidden, NotAuthenticated
from dancu.exchange import door
from dancu.exchange.checkin import service as checkin
from dancu.exchange.checkin.schemas import CheckinIn, CheckinOut
from dancu.exchange.consent import service as consent
from dancu.exchange.consent.schemas import ConsentAskIn, ConsentReceipt
from dancu.exchange.errors import ExchangeErrorCode
from dancu.exchange.insurance import service as insurance
from dancu.exchange.insurance.schemas import CardsIn, ImportOut
from dancu.web.deps import CurrentActor, DbSession

UNIDENTIFIED = Actor(id="anonymous", name="Unidentified caller", organization="")


async def door_refusals(session: DbSession) -> AsyncIterator[None]:
    """Audit a token the bearer check refused before the door (``web.auth``): unknown,
    expired, a replayed DPoP proof, a missing scope. The failed request rolls back; the
    unit of work writes the kept entry after it."""
    try:
        yield
    except (NotAuthenticated, Forbidden) as exc:
        audit.record_refusal(
            session,
            UNIDENTIFIED,
            action="exchange.refused",
            subject_type="exchange_request",
            subject_id=str(exc.code),
            purpose="inspection",
        )
        raise


router = APIRouter(
    prefix="/api/exchange",
    tags=["exchange"],
    dependencies=[Depends(door_refusals, scope="function")],
)


def _json(answer: door.Answer) -> JSONResponse:
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


def _call(request: Request, body: Any = None) -> door.Call:
    raw = body.model_dump_json().encode() if body is not None else b""
    return door.Call(request.method, request.url.path, raw)


@router.post("/checkin", response_model=CheckinOut)
def check_in(data: CheckinIn, request: Request, db: DbSession, actor: CurrentActor) -> JSONResponse:
    """Who the patient is and whether the insurance card is valid at this facility."""
    answer = door.serve(
        db,
        actor,
        _call(request, data),
        purpose=checkin.PURPOSE,
        fields=data.fields,
        work=lambda ctx: checkin.check_in(db, ctx, data),
    )
    return _json(answer)


@router.post("/consents", response_model=ConsentReceipt)
def ask_consent(
    data: ConsentAskIn, request: Request, db: DbSession, actor: CurrentActor
) -> JSONResponse:
    """Ask a citizen to release fields beyond the purpose's defaults."""
    answer = door.serve(
        db,
        actor,
        _call(request, data),
        purpose=data.purpose,
        fields=data.fields,
        work=lambda ctx: consent.ask(db, ctx, data).model_dump(mode="json"),
        personal=False,
    )
    return _json(answer)


@router.get("/consents/{consent_id}", response_model=ConsentReceipt)
def consent_receipt(
    consent_id: Id, purpose: Code, request: Request, db: DbSession, actor: CurrentActor
) -> JSONResponse:
    """The receipt of one of this partner's consent requests (and the citizen's answer)."""
    answer = door.serve(
        db,
        actor,
        _call(request),
        purpose=purpose,
        fields=[],
        work=lambda ctx: consent.receipt_for_partner(db, ctx, consent_id).model_dump(mode="json"),
        personal=False,
    )
    return _json(answer)


@router.post("/insurance/cards", response_model=ImportOut)
def send_cards(data: CardsIn, request: Request, db: DbSession, actor: CurrentActor) -> JSONResponse:
    """The social-insurance agency sends cards (stored, then linked to citizens)."""
    answer = door.serve(
        db,
        actor,
        _call(request, data),
        purpose=insurance.PURPOSE,
        fields=[],
        work=lambda ctx: _import(db, ctx, data),
        personal=False,
    )
    return _json(answer)


def _import(db: Session, ctx: Any, data: CardsIn) -> dict[str, Any]:
    if ctx.kind != "insurer":
        raise Forbidden(
            "Only the social-insurance agency sends cards",
            code=ExchangeErrorCode.PURPOSE_NOT_GRANTED,
        )
    return insurance.import_cards(db, data.cards, source="api", actor=ctx.actor).model_dump()


@router.get("/me")
def whoami(purpose: Code, request: Request, db: DbSession, actor: CurrentActor) -> JSONResponse:
    """What this partner may do for ``purpose``: the fields released by default and with
    consent (X-Road's "allowed methods", for one purpose)."""
    answer = door.serve(
        db,
        actor,
        _call(request),
        purpose=purpose,
        fields=[],
        work=lambda ctx: {
            "partner": ctx.partner_name,
            "purpose": ctx.purpose,
            "fields": sorted(ctx.fields),
            "consent_fields": sorted(ctx.consent_fields),
        },
        personal=False,
    )
    return _json(answer)
