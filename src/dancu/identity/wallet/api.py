"""Wallet endpoints anyone can use: verify a presentation, the status lists, issuer metadata.

``POST /api/wallet/verify`` takes the SD-JWT presentation as JSON ``{"presentation": ...}``
or as the raw body (``application/dc+sd-jwt`` or ``text/plain``) and answers 200 with
``valid`` and, when invalid, the reason code: a failed check is an answer, not an error.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from dancu.common.bounds import Code
from dancu.common.errors import ValidationFailed
from dancu.identity.errors import IdentityErrorCode
from dancu.identity.wallet import service as wallet
from dancu.identity.wallet import status_list as wallet_status
from dancu.web.deps import CurrentActor, DbSession
from dancu.web.i18n import translate

router = APIRouter(tags=["wallet"])
MAX_PRESENTATION = 64 * 1024


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


def verification_body(result: wallet.Verification, lang: str = "en") -> dict[str, Any]:
    body: dict[str, Any] = {"valid": result.valid}
    if result.valid:
        body |= {
            "vct": result.vct,
            "iss": result.issuer,
            "iat": result.issued_at,
            "exp": result.expires_at,
            "claims": result.claims,
            "key_bound": result.key_bound,
        }
    else:
        body |= {"code": result.code, "message": translate(lang, result.code or "", result.message)}
    return body


async def _presentation(request: Request) -> str:
    raw = await request.body()
    if len(raw) > MAX_PRESENTATION:
        raise ValidationFailed(
            "The presentation is too large", code=IdentityErrorCode.WALLET_TOO_LARGE
        )
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            value = (await request.json()).get("presentation")
        except (ValueError, AttributeError):
            value = None
        if not isinstance(value, str):
            raise ValidationFailed(
                'Send {"presentation": "<SD-JWT>"}',
                code=IdentityErrorCode.WALLET_FORMAT,
                field="presentation",
            )
        return value
    return raw.decode("ascii", errors="replace")


@router.post("/api/wallet/verify")
async def verify(request: Request, db: DbSession) -> JSONResponse:
    """Verify an SD-JWT VC presentation: signature, expiry, status list and disclosures."""
    presentation = await _presentation(request)
    result = await run_in_threadpool(wallet.verify_presentation, db, presentation)
    lang = "vi" if request.query_params.get("lang") == "vi" else "en"
    return JSONResponse(verification_body(result, lang), headers={"Cache-Control": "no-store"})


STATUS_LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The signed Token Status List (a compact JWT, `typ` statuslist+jwt)",
        "content": {"application/statuslist+jwt": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/api/wallet/status/{list_id}", response_class=Response, responses=STATUS_LIST_RESPONSES
)
def status_list(list_id: Code, db: DbSession) -> Response:
    """The Token Status List ``list_id`` (a signed JWT, ``application/statuslist+jwt``)."""
    token = wallet.status_list_token(db, list_id)
    return Response(
        token,
        media_type="application/statuslist+jwt",
        headers={"Cache-Control": f"max-age={wallet_status.TTL // 2}"},
    )


@router.get("/.well-known/jwt-vc-issuer")
def issuer_metadata(db: DbSession) -> JSONResponse:
    """SD-JWT VC issuer metadata: the issuer identifier and its JWK Set."""
    return JSONResponse(wallet.issuer_metadata(db), headers={"Cache-Control": "max-age=300"})


@router.post("/api/wallet/credentials/{credential_id}/revoke")
def revoke(credential_id: Code, body: RevokeIn, db: DbSession, actor: CurrentActor) -> JSONResponse:
    """Revoke a credential (issuing authorities only; audited)."""
    row = wallet.revoke(db, credential_id, actor=actor, reason=body.reason)
    revoked_at = row.revoked_at.isoformat() if row.revoked_at else None
    return JSONResponse({"credential_id": row.credential_id, "revoked_at": revoked_at})
