"""eKYC JSON routes: a bank's chip verification, and the keys that verify its results.

``POST /api/exchange/ekyc/verify`` runs through the exchange door (``door.serve``): the
partner's credential, the ``bank_ekyc`` purpose, the asked attributes and the rate limit
are checked, and the request and answer go to the signed message log. The token needs the
scope ``exchange.use``. ``GET /exchange/ekyc/jwks`` is public (outside ``/api``, like
``/oidc/jwks``): anyone holding a result can check its signature.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dancu.exchange import door
from dancu.exchange.ekyc import service
from dancu.exchange.ekyc.face import NOT_PERFORMED, FaceMatcher
from dancu.exchange.ekyc.schemas import EkycIn, EkycOut
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/api/exchange/ekyc", tags=["exchange"])
public_router = APIRouter(prefix="/exchange/ekyc", tags=["exchange"])


@router.post("/verify", response_model=EkycOut)
def verify(data: EkycIn, request: Request, db: DbSession, actor: CurrentActor) -> JSONResponse:
    """Verify a customer's chip ID card and get the signed result (a JWS)."""
    face: FaceMatcher = getattr(request.app.state, "face_matcher", None) or NOT_PERFORMED
    answer = door.serve(
        db,
        actor,
        door.Call(request.method, request.url.path, data.model_dump_json().encode()),
        purpose=service.PURPOSE,
        fields=data.attributes,
        # The attributes sit inside the signed result, minimised there by the service.
        work=lambda ctx: service.verify_customer(db, data, ctx=ctx, face=face).model_dump(),
        personal=False,
    )
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


@public_router.get("/jwks")
def jwks(db: DbSession) -> JSONResponse:
    """The public keys (JWK Set) that verify eKYC results."""
    return JSONResponse(service.jwks(db), headers={"Cache-Control": "max-age=300"})
