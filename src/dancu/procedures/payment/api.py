"""The gateways' call-back: ``POST /api/procedures/dossiers/{code}/payments/{gateway}``.

A gateway posts its confirmation here, server to server, as the JSON it signed, with the
signature in ``X-Payment-Signature``. No bearer token: the signature under the secret
shared with that gateway is the authentication, and the body is checked against the
dossier named in the path (amount, dossier, replay) before the dossier is marked paid.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from dancu.common.bounds import Code
from dancu.common.errors import ValidationFailed
from dancu.procedures.payment import gateway, service
from dancu.procedures.payment.errors import PaymentErrorCode
from dancu.web.deps import DbSession

router = APIRouter(prefix="/api/procedures", tags=["procedures"])
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
