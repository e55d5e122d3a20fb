"""The citizen's payment page: the fee, a VietQR to pay by bank transfer, and the gateway;
and the finance officer's page (``/procedure-fees``): import the bank's statement, see what
it paid and which transfers wait for a review."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse

from dancu.common.access import Actor, Permission
from dancu.common.bounds import Code
from dancu.common.errors import DancuError, Forbidden, ValidationFailed
from dancu.common.i18n import N_
from dancu.identity.pages.common import signed_in
from dancu.payments import iso20022
from dancu.payments.errors import PaymentsErrorCode
from dancu.procedures import service as dossiers
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.payment import gateway, statements, vietqr
from dancu.procedures.payment.schemas import ImportOut
from dancu.procedures.prefill import Applicant
from dancu.settings import get_settings
from dancu.web.csrf import CsrfChecked
from dancu.web.deps import CurrentActor, DbSession
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
            vietqr.reference(dossier.code),
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
        "reference": vietqr.reference(dossier.code) if dossier.code else "",
        "checkouts": checkouts,
        "bank_bin": settings.procedures_payee_bank_bin,
        "account": settings.procedures_payee_account,
        "payee": settings.procedures_payee_name,
    }
    return render(request, "procedures/payment.html", context)


def _fees_page(
    request: Request,
    db: Any,
    actor: Actor,
    *,
    result: ImportOut | None = None,
    error: DancuError | None = None,
) -> HTMLResponse:
    context = {
        "result": result,
        "review": statements.to_review(db, actor=actor),
        "account": get_settings().procedures_payee_account,
        "error": error,
        "field_names": {"file": N_("Statement file")},
    }
    status = error.status_code if error else 200
    return render(request, "procedures/fees.html", context, status_code=status)


@router.get("/procedure-fees", response_class=HTMLResponse)
def fees_page(request: Request, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    """The finance officer's page: import a statement; transfers waiting for a review."""
    actor.require(Permission.PROCEDURE_FEES)
    return _fees_page(request, db, actor)


@router.post("/procedure-fees", response_class=HTMLResponse)
def import_statement(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    _csrf: CsrfChecked,
    file: Annotated[UploadFile, File()],
) -> HTMLResponse:
    """Import the uploaded camt.053 statement and show what it paid and what it did not."""
    actor.require(Permission.PROCEDURE_FEES)
    try:
        data = file.file.read(iso20022.MAX_FILE + 1)
        if len(data) > iso20022.MAX_FILE:
            raise ValidationFailed(
                "The file is empty or too large",
                code=PaymentsErrorCode.FILE_MALFORMED,
                field="file",
            )
        result = statements.import_statement(db, data, actor=actor)
    except DancuError as exc:
        db.rollback()
        return _fees_page(request, db, actor, error=exc)
    return _fees_page(request, db, actor, result=result)
