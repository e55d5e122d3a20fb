"""The citizen's payment page: the fee, a VietQR to pay by bank transfer, and the gateway."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dancu.common.bounds import Code
from dancu.common.errors import Forbidden
from dancu.identity.pages.common import signed_in
from dancu.procedures import service as dossiers
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.payment import gateway, vietqr
from dancu.procedures.prefill import Applicant
from dancu.settings import get_settings
from dancu.web.deps import DbSession
from dancu.web.templating import render

router = APIRouter(include_in_schema=False)


def _applicant(request: Request, db: Any) -> Applicant:
    login = signed_in(request, db)
    if not login.citizen_pid:
        raise Forbidden("This account is not a citizen's", code=ProcedureErrorCode.NO_CITIZEN)
    level = login.level(int(time.time()))
    return Applicant(login.citizen_pid, login.account_id, login.display_name, level)


@router.get("/my-dossiers/{code}/payment", response_class=HTMLResponse)
def payment_page(request: Request, code: Code, db: DbSession) -> HTMLResponse:
    """How to pay the dossier's fee: a bank transfer by VietQR, or a payment gateway."""
    dossier = dossiers.my_dossier(db, _applicant(request, db), code)
    settings = get_settings()
    due = dossier.fee_state == "unpaid" and dossier.code is not None
    qr = payload = ""
    checkouts: list[tuple[str, str]] = []
    if due and dossier.code:
        payload = vietqr.payload(
            settings.procedures_payee_bank_bin,
            settings.procedures_payee_account,
            dossier.fee_amount,
            dossier.code,
        )
        qr = vietqr.qr_svg(payload, title=dossier.code)
        back = f"/my-dossiers/{dossier.code}"
        checkouts = [
            (name, gw.checkout_url(dossier.code, dossier.fee_amount, back))
            for name, gw in gateway.gateways().items()
        ]
    context = {
        "d": dossier,
        "due": due,
        "qr": qr,
        "payload": payload,
        "checkouts": checkouts,
        "bank_bin": settings.procedures_payee_bank_bin,
        "account": settings.procedures_payee_account,
        "payee": settings.procedures_payee_name,
    }
    return render(request, "procedures/payment.html", context)
