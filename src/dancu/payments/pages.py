"""Payments pages: the commune officer's beneficiary list and enrolment form, the
province's proposals and cycle approval with totals, the figures, and a beneficiary's own
page in their e-ID account (``/account/payments``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dancu.common import adminunits
from dancu.common.access import Actor, Permission
from dancu.common.bounds import Code, Id, PageNo, Text
from dancu.common.errors import DancuError, ErrorCode, ValidationFailed
from dancu.identity.pages.common import signed_in
from dancu.payments import (
    banks,
    beneficiaries,
    citizen,
    cycles,
    disbursement,
    figures,
    programmes,
    recovery,
)
from dancu.payments import repository as repo
from dancu.payments.errors import PaymentsErrorCode
from dancu.payments.mapper import AccountDirectory
from dancu.payments.schemas import ChangeIn, EnrolIn
from dancu.web.csrf import CsrfChecked
from dancu.web.deps import CurrentActor, DbSession
from dancu.web.templating import render

router = APIRouter(include_in_schema=False)
PER_PAGE = 50


def directory(request: Request) -> AccountDirectory | None:
    """The banks' mapper the app was given (the simulated network in development)."""
    return getattr(request.app.state, "account_directory", None)


def commune_name(code: str) -> str:
    unit = adminunits.find_commune(code)
    return unit.name if unit else code


def _common(db: Any, actor: Actor) -> dict[str, Any]:
    return {
        "programmes": {p.id: p for p in repo.programmes(db)},
        "commune": commune_name,
        "bank_name": banks.bank_name,
        "can_manage": actor.can(Permission.BENEFICIARY_MANAGE),
        "can_approve": actor.can(Permission.BENEFICIARY_APPROVE),
        "can_prepare": actor.can(Permission.PAYMENT_PREPARE),
        "can_approve_cycles": actor.can(Permission.PAYMENT_APPROVE),
    }


@router.get("/payments", response_class=HTMLResponse)
def beneficiaries_page(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    programme: Code = "",
    status: Code = "",
    page: PageNo = 1,
) -> HTMLResponse:
    rows, total = beneficiaries.list_beneficiaries(
        db,
        actor=actor,
        programme=programme or None,
        status=status or None,
        page=page,
        per_page=PER_PAGE,
    )
    context = {
        **_common(db, actor),
        "rows": rows,
        "total": total,
        "page": page,
        "per_page": PER_PAGE,
        "programme": programme,
        "status": status,
        "pending": beneficiaries.pending(db, actor=actor),
        "done": request.query_params.get("done"),
        "error": None,
    }
    return render(request, "payments/beneficiaries.html", context)


def _programme_choices(db: Any) -> list[tuple[Any, list[Any]]]:
    return [(p, repo.categories(db, p.id)) for p in repo.programmes(db) if p.kind == "monthly"]


def _enrol_form(
    request: Request, db: Any, actor: Actor, form: dict[str, Any], error: DancuError | None = None
) -> HTMLResponse:
    communes = [adminunits.find_commune(c) for c in actor.commune_units] or (
        adminunits.communes(actor.province_units[0]) if actor.province_units else []
    )
    bank_list = directory(request)
    context = {
        "choices": _programme_choices(db),
        "communes": [c for c in communes if c is not None],
        "banks": {c: banks.bank_name(c) or c for c in bank_list.banks()} if bank_list else {},
        "form": form,
        "error": error,
    }
    return render(
        request, "payments/enrol.html", context, status_code=error.status_code if error else 200
    )


@router.get("/payments/enrol", response_class=HTMLResponse)
def enrol_page(request: Request, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    actor.require(Permission.BENEFICIARY_MANAGE)
    return _enrol_form(request, db, actor, {"programme": programmes.SOCIAL})


@router.post("/payments/enrol", response_model=None)
def enrol(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    _csrf: CsrfChecked,
    pid: Annotated[Code, Form()] = "",
    category: Annotated[Code, Form()] = "",
    commune_code: Annotated[Code, Form()] = "",
    bank_code: Annotated[Code, Form()] = "",
    account_id: Annotated[Code, Form()] = "",
    consent: Annotated[bool, Form()] = False,
    reason: Annotated[Text, Form()] = "",
) -> Response:
    actor.require(Permission.BENEFICIARY_MANAGE)
    programme, _, category_code = category.partition(":")
    form = {
        "pid": pid,
        "category": category,
        "commune_code": commune_code,
        "bank_code": bank_code,
        "account_id": account_id,
        "consent": consent,
        "reason": reason,
        "programme": programme,
    }
    try:
        if not pid.strip():
            raise ValidationFailed("Give the ID number", code=ErrorCode.FORM_REQUIRED, field="pid")
        data = EnrolIn(
            pid=pid.strip(),
            programme=programme,
            category=category_code,
            commune_code=commune_code,
            bank_code=bank_code if account_id.strip() else "",
            account_id=account_id.strip(),
            consent=consent,
            reason=reason,
        )
        beneficiaries.enrol(db, data, actor=actor, directory=directory(request))
    except DancuError as exc:
        db.rollback()
        return _enrol_form(request, db, actor, form, exc)
    return RedirectResponse("/payments?done=enrol", status_code=303)


@router.post("/payments/beneficiaries/{beneficiary_id}/change")
def change(
    beneficiary_id: Id,
    db: DbSession,
    actor: CurrentActor,
    _csrf: CsrfChecked,
    action: Annotated[Code, Form()],
    reason: Annotated[Text, Form()] = "",
) -> RedirectResponse:
    if action not in ("suspend", "resume", "end") or not reason.strip():
        raise ValidationFailed(
            "Give a reason", code=PaymentsErrorCode.REASON_REQUIRED, field="reason"
        )
    beneficiaries.propose_change(
        db, beneficiary_id, ChangeIn(action=action, reason=reason), actor=actor
    )  # type: ignore[arg-type]
    return RedirectResponse("/payments?done=proposed", status_code=303)


@router.post("/payments/changes/{change_id}/decide")
def decide(
    change_id: Id,
    db: DbSession,
    actor: CurrentActor,
    _csrf: CsrfChecked,
    decision: Annotated[Code, Form()] = "approve",
) -> RedirectResponse:
    beneficiaries.decide(db, change_id, approve=decision == "approve", actor=actor)
    return RedirectResponse(
        f"/payments?done={'approved' if decision == 'approve' else 'rejected'}", status_code=303
    )


@router.get("/payments/cycles", response_class=HTMLResponse)
def cycles_page(request: Request, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    return _cycles(request, db, actor)


def _cycles(
    request: Request,
    db: Any,
    actor: Actor,
    error: DancuError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    """The cycles and the form that prepares one; after a refused preparation, the form
    again with what was typed and the error beside its field."""
    context = {
        **_common(db, actor),
        "cycles": cycles.list_cycles(db, actor=actor),
        "monthly": [p for p in repo.programmes(db)],
        "provinces": actor.province_units,
        "province_name": lambda code: adminunits.province(code).name,
        "error": error,
        "form": form or {},
    }
    return render(request, "payments/cycles.html", context, status_code=422 if error else 200)


def _month(value: str) -> date:
    """A month typed as the page asks (mm/yyyy), or as YYYY-MM (the API's and a script's)."""
    text = value.strip()
    try:
        if "/" in text:
            month, year = text.split("/")
        else:
            year, month = text.split("-")[:2]
        return date(int(year), int(month), 1)
    except ValueError:
        raise ValidationFailed(
            "A month is written mm/yyyy", code=PaymentsErrorCode.MONTH_INVALID, field="month"
        ) from None


@router.post("/payments/cycles", response_model=None)
def prepare(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    _csrf: CsrfChecked,
    programme: Annotated[Code, Form()],
    month: Annotated[Code, Form()],
    province_code: Annotated[Code, Form()] = "",
) -> Response:
    province = province_code or (actor.province_units[0] if actor.province_units else "")
    try:
        out = cycles.prepare_cycle(db, programme, province, _month(month), actor=actor)
    except ValidationFailed as exc:
        db.rollback()
        form = {"programme": programme, "month": month, "province_code": province_code}
        return _cycles(request, db, actor, error=exc, form=form)
    return RedirectResponse(f"/payments/cycles/{out.id}", status_code=303)


@router.get("/payments/cycles/{cycle_id}", response_class=HTMLResponse)
def cycle_page(request: Request, cycle_id: Id, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    cycle = cycles.get_cycle(db, cycle_id, actor=actor)
    context = {
        **_common(db, actor),
        "cycle": cycle,
        "by_commune": repo.cycle_by_commune(db, cycle.id),
        "files": disbursement.files_of(db, cycle.id, actor=actor),
        "province_name": adminunits.province(cycle.province_code).name,
        "may_approve": actor.can(Permission.PAYMENT_APPROVE) and cycle.prepared_by != actor.id,
        "done": request.query_params.get("done"),
    }
    return render(request, "payments/cycle.html", context)


@router.post("/payments/cycles/{cycle_id}/approve")
def approve(
    cycle_id: Id, db: DbSession, actor: CurrentActor, _csrf: CsrfChecked
) -> RedirectResponse:
    cycles.approve_cycle(db, cycle_id, actor=actor)
    return RedirectResponse(f"/payments/cycles/{cycle_id}?done=approved", status_code=303)


@router.post("/payments/cycles/{cycle_id}/files")
def send_files(
    cycle_id: Id, db: DbSession, actor: CurrentActor, _csrf: CsrfChecked
) -> RedirectResponse:
    disbursement.bank_files(db, cycle_id, actor=actor)
    disbursement.postal_list(db, cycle_id, actor=actor)
    return RedirectResponse(f"/payments/cycles/{cycle_id}?done=files", status_code=303)


@router.get("/payments/files/{file_id}")
def download(file_id: Id, db: DbSession, actor: CurrentActor) -> Response:
    out, content = disbursement.file_content(db, file_id, actor=actor)
    xml = out.kind != "postal"
    media = "application/xml" if xml else "text/csv"
    name = f"{out.message_id}.{'xml' if xml else 'csv'}"
    return Response(
        content,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/payments/recoveries", response_class=HTMLResponse)
def recoveries_page(
    request: Request, db: DbSession, actor: CurrentActor, status: Code = ""
) -> HTMLResponse:
    return _recoveries(request, db, actor, status)


def _recoveries(
    request: Request,
    db: Any,
    actor: Actor,
    status: str = "",
    error: DancuError | None = None,
    failed_id: int | None = None,
) -> HTMLResponse:
    shown = status if status in recovery.STATUSES else ""
    context = {
        **_common(db, actor),
        "recoveries": recovery.list_recoveries(db, actor=actor, status=shown or None),
        "status": shown,
        "statuses": recovery.STATUSES,
        "done": request.query_params.get("done"),
        "error": error,
        "failed_id": failed_id,
    }
    return render(request, "payments/recoveries.html", context, status_code=422 if error else 200)


@router.post("/payments/recoveries/{recovery_id}", response_model=None)
def recovery_step(
    request: Request,
    recovery_id: Id,
    db: DbSession,
    actor: CurrentActor,
    _csrf: CsrfChecked,
    step: Annotated[Code, Form()],
    note: Annotated[Text, Form()] = "",
) -> Response:
    if step not in ("notified", "recovered", "waived"):
        raise ValidationFailed(
            "Choose a step", code=PaymentsErrorCode.RECOVERY_TRANSITION, field="step"
        )
    try:
        recovery.step(db, recovery_id, step, actor=actor, note=note)
    except ValidationFailed as exc:
        db.rollback()
        return _recoveries(request, db, actor, error=exc, failed_id=recovery_id)
    return RedirectResponse(f"/payments/recoveries?done={step}", status_code=303)


@router.get("/payments/figures", response_class=HTMLResponse)
def figures_page(request: Request, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    context = {**_common(db, actor), "rows": figures.figures(db, actor=actor)}
    context["names"] = {p.code: p.name for p in context["programmes"].values()}
    return render(request, "payments/figures.html", context)


@router.get("/account/payments", response_class=HTMLResponse)
def my_payments(request: Request, db: DbSession) -> HTMLResponse:
    login = signed_in(request, db)
    pid = login.citizen_pid or ""
    context = {
        "payments": citizen.my_payments(db, pid) if pid else [],
        "programmes": citizen.my_programmes(db, pid) if pid else [],
        "bank_name": banks.bank_name,
    }
    return render(request, "payments/mine.html", context)
