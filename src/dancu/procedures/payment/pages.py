"""The citizen's payment page: the fee, a VietQR to pay by bank transfer, and the gateway;
and the finance officer's page (``/procedure-fees``): import the bank's statement, see what
it paid and which transfers wait for a review, settle each of those with a form (apply to
a dossier, refund, ignore; ``review.resolve``), and see those settled (``?show=decided``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from dancu.common.access import Actor, Permission
from dancu.common.bounds import Code, Id, Text
from dancu.common.errors import DancuError, Forbidden, ValidationFailed
from dancu.common.i18n import N_
from dancu.identity.pages.common import signed_in
from dancu.payments import iso20022
from dancu.payments.errors import PaymentsErrorCode
from dancu.procedures import service as dossiers
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.payment import gateway, review, statements, vietqr
from dancu.procedures.payment.errors import PaymentErrorCode
from dancu.procedures.payment.models import DECISIONS
from dancu.procedures.payment.schemas import ImportOut, ResolveIn
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


RESOLVE_FIELDS = {
    "decision": N_("Decision"),
    "dossier_code": N_("Dossier code"),
    "refund_reference": N_("Refund reference"),
    "reason": N_("Reason"),
    "entry": N_("Transfer"),
}


def _fees_page(
    request: Request,
    db: Any,
    actor: Actor,
    *,
    result: ImportOut | None = None,
    error: DancuError | None = None,
    failed: ResolveForm | None = None,
) -> HTMLResponse:
    decided = request.query_params.get("show") == "decided"
    context = {
        "result": result,
        "review": statements.to_review(db, actor=actor, decided=decided),
        "decided": decided,
        "can_resolve": review.may_resolve(actor),
        "resolved": request.query_params.get("resolved", ""),
        "failed": failed,
        "account": get_settings().procedures_payee_account,
        "error": error if failed is None else None,
        "field_names": {"file": N_("Statement file"), **RESOLVE_FIELDS},
    }
    shown = error or (failed.error if failed else None)
    status = shown.status_code if shown else 200
    return render(request, "procedures/fees.html", context, status_code=status)


@router.get("/procedure-fees", response_class=HTMLResponse)
def fees_page(request: Request, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    """The finance officer's page: import a statement; transfers waiting for a review (or,
    with ``?show=decided``, those settled)."""
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


@dataclass(frozen=True, slots=True)
class ResolveForm:
    """What the officer typed in an entry's form, kept to show it again with the error."""

    entry_id: int
    decision: str
    dossier_code: str
    refund_reference: str
    reason: str
    error: DancuError


@router.post("/procedure-fees/entries/{entry_id}/resolve", response_model=None)
def resolve_entry(
    request: Request,
    entry_id: Id,
    db: DbSession,
    actor: CurrentActor,
    _csrf: CsrfChecked,
    decision: Annotated[Code, Form()] = "",
    reason: Annotated[Text, Form()] = "",
    dossier_code: Annotated[Code, Form()] = "",
    refund_reference: Annotated[Code, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Settle one transfer under review; back to the list, or the form again with its error."""
    actor.require(Permission.PROCEDURE_FEES)
    try:
        if decision not in DECISIONS:
            raise ValidationFailed(
                "Choose what to do with the transfer",
                code=PaymentErrorCode.DECISION,
                field="decision",
            )
        taken = ResolveIn(
            decision=decision,  # type: ignore[arg-type]  # checked just above
            reason=reason,
            dossier_code=dossier_code or None,
            refund_reference=refund_reference or None,
        )
        review.resolve(db, entry_id, taken, actor=actor)
    except DancuError as exc:
        db.rollback()
        typed = ResolveForm(entry_id, decision, dossier_code, refund_reference, reason, exc)
        return _fees_page(request, db, actor, failed=typed)
    return RedirectResponse(f"/procedure-fees?resolved={entry_id}#review", status_code=303)
