"""Payments JSON routes: the programmes, the beneficiaries of the officer's area, the cycles
and their totals (``payments.read``), and a beneficiary's own payments (``/mine``).

Officers present an access token with ``payments.read`` (or their cookie session); the
services scope every answer to the officer's area and audit the personal data listed. A
citizen reads their own payments with the access token their e-ID account gave an app
(scope ``openid``, as for the provider's userinfo): the token names the account, the
account names the citizen, and nothing else can be asked for.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field

from dancu.common.bounds import Code, Id, PageNo
from dancu.common.errors import ErrorCode, Forbidden, NotAuthenticated
from dancu.db import utcnow
from dancu.identity.accounts import service as accounts
from dancu.identity.oidc import bearer
from dancu.payments import beneficiaries, citizen, cycles, programmes, recovery
from dancu.payments.schemas import (
    BeneficiaryPage,
    CycleOut,
    CycleSummaryOut,
    MyPaymentOut,
    ProgrammeOut,
    RecoveryOut,
    RecoveryStepIn,
)
from dancu.web.auth import with_challenge
from dancu.web.deps import CurrentActor, DbSession
from dancu.web.openapi import ERROR, token_requirement
from dancu.web.public_url import public_url

router = APIRouter(prefix="/api/payments", tags=["payments"])
citizen_router = APIRouter(prefix="/api/payments", tags=["payments"])

PerPage = Annotated[int, Field(ge=1, le=beneficiaries.MAX_PER_PAGE)]
Status = Literal["proposed", "active", "suspended", "ended", "refused"]


@router.get("/programmes", response_model=list[ProgrammeOut])
def list_programmes(db: DbSession, actor: CurrentActor) -> list[ProgrammeOut]:
    """The programmes, their categories (coefficients, ages) and their dated levels."""
    return programmes.describe(db, actor=actor)


@router.get("/beneficiaries", response_model=BeneficiaryPage)
def list_beneficiaries(
    db: DbSession,
    actor: CurrentActor,
    programme: Code | None = None,
    status: Status | None = None,
    page: PageNo = 1,
    per_page: Annotated[PerPage, Query()] = 50,
) -> BeneficiaryPage:
    """The beneficiaries of the officer's communes or province (each listed: audited)."""
    items, total = beneficiaries.list_beneficiaries(
        db, actor=actor, programme=programme, status=status, page=page, per_page=per_page
    )
    return BeneficiaryPage(items=items, total=total, page=page, per_page=per_page)


@router.get("/cycles", response_model=list[CycleSummaryOut])
def list_cycles(db: DbSession, actor: CurrentActor) -> list[CycleSummaryOut]:
    """The cycles of the officer's area, newest month first, with their totals."""
    return cycles.cycle_summaries(db, actor=actor)


@router.get("/cycles/{cycle_id}", response_model=CycleOut)
def get_cycle(cycle_id: Id, db: DbSession, actor: CurrentActor) -> CycleOut:
    """One cycle: totals and who was left out and why (the names listed: audited)."""
    return cycles.get_cycle(db, cycle_id, actor=actor)


RecoveryStatus = Literal["flagged", "notified", "recovered", "waived"]


@router.get("/recoveries", response_model=list[RecoveryOut])
def list_recoveries(
    db: DbSession, actor: CurrentActor, status: RecoveryStatus | None = None
) -> list[RecoveryOut]:
    """Payments made after a beneficiary's death, to recover, in the officer's area (each
    names a citizen: audited)."""
    return recovery.list_recoveries(db, actor=actor, status=status)


@router.post("/recoveries/{recovery_id}", response_model=RecoveryOut)
def move_recovery(
    recovery_id: Id, body: RecoveryStepIn, db: DbSession, actor: CurrentActor
) -> RecoveryOut:
    """One step: the family or bank was asked (``notified``), the money is back
    (``recovered``), or given up (``waived``, with the reason in ``note``)."""
    return recovery.step(db, recovery_id, body.step, actor=actor, note=body.note)


_REFUSED: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "No access token, or an unknown, expired or revoked one",
        "content": {"application/json": {"schema": ERROR}},
    },
    403: {
        "description": "The token lacks `openid`, or its account is not a citizen's",
        "content": {"application/json": {"schema": ERROR}},
    },
}


@citizen_router.get(
    "/mine",
    response_model=list[MyPaymentOut],
    responses=_REFUSED,
    openapi_extra={"security": token_requirement("openid")},
)
def my_payments(request: Request, db: DbSession) -> list[MyPaymentOut]:
    """The payments of the citizen whose e-ID account the access token was issued to."""
    return citizen.my_payments(db, _citizen_pid(request, db))


def _citizen_pid(request: Request, db: DbSession) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    challenge = "DPoP" if scheme.lower() == "dpop" else "Bearer"
    if scheme.lower() not in ("bearer", "dpop") or not token.strip():
        raise with_challenge(NotAuthenticated("Sign in first", code=ErrorCode.AUTH_REQUIRED))
    presented = bearer.Presented(
        scheme.lower(),
        token.strip(),
        tuple(request.headers.getlist("dpop")),
        request.method,
        public_url(request),
    )
    try:
        row = bearer.check_token(db, presented, utcnow())
    except NotAuthenticated as exc:
        raise with_challenge(exc, challenge) from None
    if row.account_id is None:
        raise with_challenge(bearer.invalid_token("This token names no account", scheme=challenge))
    pid = accounts.get(db, row.account_id).citizen_pid if "openid" in row.scope.split() else None
    if not pid:
        refused = Forbidden(
            "This token does not name a citizen's e-ID account (scope openid)",
            code=ErrorCode.AUTH_INSUFFICIENT_SCOPE,
            scheme=challenge,
            error="insufficient_scope",
            scope="openid",
        )
        raise with_challenge(refused, challenge)
    return pid
