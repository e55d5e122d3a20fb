"""eKYC JSON routes: a bank's chip verification, and the keys that verify its results.

``POST /api/exchange/ekyc/verify`` needs an access token with the ``exchange.ekyc`` scope
of a partner allowed the ``verification`` purpose. ``GET /exchange/ekyc/jwks`` is
public (outside ``/api``, like ``/oidc/jwks``): anyone holding a result can check its signature.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dancu.exchange.ekyc import service
from dancu.exchange.ekyc.face import NOT_PERFORMED, FaceMatcher
from dancu.exchange.ekyc.schemas import EkycIn, EkycOut
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/api/exchange/ekyc", tags=["exchange"])
public_router = APIRouter(prefix="/exchange/ekyc", tags=["exchange"])


@router.post("/verify", response_model=EkycOut)
def verify(data: EkycIn, request: Request, db: DbSession, actor: CurrentActor) -> EkycOut:
    """Verify a customer's chip ID card and get the signed result (a JWS)."""
    face: FaceMatcher = getattr(request.app.state, "face_matcher", None) or NOT_PERFORMED
    return service.verify_customer(db, data, actor=actor, face=face)


@public_router.get("/jwks")
def jwks(db: DbSession) -> JSONResponse:
    """The public keys (JWK Set) that verify eKYC results."""
    return JSONResponse(service.jwks(db), headers={"Cache-Control": "max-age=300"})
