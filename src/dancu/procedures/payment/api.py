"""The gateways' call-back: ``POST /api/procedures/dossiers/{code}/payments/{gateway}``,
and the finance officer's statement import (``officer_router``, under the procedures API's
token scopes): ``POST /api/procedures/payments/statements`` with a camt.053 file as the body
(``application/xml``), ``GET /api/procedures/payments/to-review`` (``?decided=true``: the
settled ones), and ``POST /api/procedures/payments/entries/{id}/resolve`` (an officer's
decision on one of them: ``review.resolve``).

A gateway posts its confirmation here, server to server, as the JSON it signed, with the
signature in ``X-Payment-Signature``. No bearer token: the signature under the secret
shared with that gateway is the authentication, and the body is checked against the
dossier named in the path (amount, dossier, replay) before the dossier is marked paid.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from dancu.common.bounds import Code, Id
from dancu.common.errors import ValidationFailed
from dancu.payments import iso20022
from dancu.payments.errors import PaymentsErrorCode
from dancu.procedures.payment import gateway, review, service, statements
from dancu.procedures.payment.errors import PaymentErrorCode
from dancu.procedures.payment.schemas import EntryOut, ImportOut, ResolveIn
from dancu.web.deps import ActorUnitOfWork, CurrentActor, DbSession

router = APIRouter(prefix="/api/procedures", tags=["procedures"])
officer_router = APIRouter(prefix="/api/procedures/payments", tags=["procedures"])
MAX_BODY = 4096


class PaymentOut(BaseModel):
    dossier_code: str
    amount_vnd: int
    transaction_id: str


@router.post("/dossiers/{code}/payments/{gateway_name}", response_model=PaymentOut)
async def gateway_callback(
    request: Request,
    code: Code,
    gateway_name: Code,
    db: DbSession,
    x_payment_signature: Annotated[Code, Header()],
) -> PaymentOut:
    """Record a gateway's signed confirmation that the dossier's fee was paid."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ValidationFailed("The confirmation is too large", code=PaymentErrorCode.MALFORMED)
    confirmed = service.confirm_for_dossier(
        db, gateway.gateway(gateway_name), code, body, x_payment_signature
    )
    return PaymentOut(
        dossier_code=confirmed.dossier_code,
        amount_vnd=confirmed.amount_vnd,
        transaction_id=confirmed.transaction_id,
    )


async def read_capped(request: Request, limit: int = iso20022.MAX_FILE) -> bytes:
    """The request body, refused (``payments.file_malformed``) beyond ``limit`` bytes
    without reading the rest."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ValidationFailed(
                "The file is empty or too large",
                code=PaymentsErrorCode.FILE_MALFORMED,
                field="file",
            )
        chunks.append(chunk)
    return b"".join(chunks)


@officer_router.post("/statements", response_model=ImportOut)
async def import_statement(request: Request, work: ActorUnitOfWork) -> ImportOut:
    """Import the collecting account's camt.053 statement (the body): each transfer that
    names a dossier of the officer's units and pays its fee exactly marks it paid; the
    others are reported (and kept for review)."""
    data = await read_capped(request)
    return await work(
        lambda session, actor: statements.import_statement(session, data, actor=actor)
    )


@officer_router.get("/to-review", response_model=list[EntryOut])
def to_review(db: DbSession, actor: CurrentActor, decided: bool = False) -> list[EntryOut]:
    """Transfers of the officer's units that paid no dossier and wait for a decision,
    newest first; ``?decided=true``: those an officer settled, latest first."""
    return statements.to_review(db, actor=actor, decided=decided)


@officer_router.post("/entries/{entry_id}/resolve", response_model=EntryOut)
async def resolve_entry(entry_id: Id, body: ResolveIn, work: ActorUnitOfWork) -> EntryOut:
    """Settle a transfer under review, once: ``apply`` it to a dossier of the officer's
    units that owes exactly its amount (paid as an exact match would be), ``refund`` it, or
    ``ignore`` it, with a reason. Refusals carry a ``payment.*`` code and change nothing."""
    return await work(lambda session, actor: review.resolve(session, entry_id, body, actor=actor))
