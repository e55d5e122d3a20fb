"""Procedures pages: the public catalogue, the citizen's portal (apply, drafts, receipt,
status, supplement, delivery, rating) and the officer console (queue, dossier, figures).

Citizens are the e-ID sign-in (``identity.pages.common.signed_in``) at the level the
procedure demands; officers are the actor of the session (``CurrentActor``). Routes parse,
call one service and render; every form carries the CSRF token.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from dancu.common import adminunits
from dancu.common.access import Actor, Permission
from dancu.common.bounds import Code, Id, PageNo, SearchName, Text
from dancu.common.errors import DancuError, Forbidden
from dancu.common.i18n import N_
from dancu.identity.auth.session import STEP_UP_URL, Login
from dancu.identity.pages.common import signed_in
from dancu.identity.wallet.document_types import DOCUMENT_TYPES
from dancu.procedures import catalogue, console, figures, files
from dancu.procedures import repository as repo
from dancu.procedures import service as dossiers
from dancu.procedures.catalogue import Procedure
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.prefill import FACT_LABELS, Applicant, prefill
from dancu.procedures.schemas import FeeOptions
from dancu.settings import get_settings
from dancu.web.csrf import CsrfChecked
from dancu.web.deps import CurrentActor, DbSession
from dancu.web.templating import language, render

router = APIRouter(include_in_schema=False)
MAX_FORM_FILES = 20


def _applicant(request: Request, db: Any) -> tuple[Login, Applicant]:
    login = signed_in(request, db)
    if not login.citizen_pid:
        raise Forbidden("This account is not a citizen's", code=ProcedureErrorCode.NO_CITIZEN)
    level = login.level(int(time.time()))
    return login, Applicant(login.citizen_pid, login.account_id, login.display_name, level)


def _source_label(item: dict[str, Any]) -> str:
    """Where a reused component came from, as an English label the page translates."""
    source, detail = item.get("source"), str(item.get("detail", ""))
    if source == "registry":
        return FACT_LABELS.get(detail, FACT_LABELS["birth"])
    if source == "wallet" and detail in DOCUMENT_TYPES:
        return DOCUMENT_TYPES[detail].title
    if source == "form":
        return FACT_LABELS["online_form"]
    return detail


def _field_names(request: Request, procedure: Procedure | None) -> dict[str, str]:
    """The form's fields and uploads named in the reader's language (the catalogue's)."""
    return procedure.field_names(language(request)) if procedure else {}


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200):  # type: ignore[no-untyped-def]
    """A procedures page; its catalogue texts (procedure names, sectors, exemptions) are
    given in the reader's language, as is every name the template asks for by code."""
    lang = language(request)
    cat = catalogue.catalogue()
    base = {
        "error": None,
        "field_names": {},
        "source_label": _source_label,
        "sectors": cat.sector_names(lang),
        "exemptions": cat.exemption_names(lang),
        "procedure_name": lambda code: cat.procedure_name(code, lang),
    }
    return render(request, f"procedures/{name}", {**base, **context}, status_code=status_code)


# --- the public catalogue -------------------------------------------------------------------


@router.get("/procedures", response_class=HTMLResponse)
def catalogue_page(
    request: Request, q: SearchName = "", sector: Code = "", level: Code = ""
) -> HTMLResponse:
    found = catalogue.search(q, sector=sector or None, level=level or None)
    context = {"procedures": found, "q": q, "sector": sector, "level": level}
    return _page(request, "catalogue.html", context)


@router.get("/procedures/{code}", response_class=HTMLResponse)
def procedure_page(request: Request, code: Code) -> HTMLResponse:
    return _page(request, "procedure.html", {"p": catalogue.get(code)})


# --- the citizen's portal -------------------------------------------------------------------


def _apply_context(
    request: Request,
    db: Any,
    procedure: Procedure,
    applicant: Applicant,
    *,
    key: str,
    form: dict[str, str],
) -> dict[str, Any]:
    data = prefill(db, procedure, applicant)
    draft = dossiers.draft_for(db, applicant, procedure.code)
    saved = {k: v for k, v in (draft.form if draft else {}).items() if not k.startswith("_")}
    have = {f.component for f in repo.files_of(db, draft.id)} if draft else set()
    return {
        "p": procedure,
        "prefill": data,
        "values": {**data.values, **saved, **form},
        "key": draft.idempotency_key if draft else key,
        "draft": draft,
        "have": have,
        "asked": [c for c in procedure.components if c.key in data.asked],
        "reused": [r.model_dump() for r in data.reused],
        "field_names": _field_names(request, procedure),
        "delivery": (draft.delivery if draft else "wallet"),
    }


def _level_gate(request: Request, login: Login, procedure: Procedure, applicant: Applicant) -> None:
    if applicant.level >= procedure.acr:
        return
    if login.account_level >= procedure.acr:  # a level-2 account: step up, then come back
        target = f"{STEP_UP_URL}?{urlencode({'next': request.url.path})}"
        raise HTTPException(status_code=303, headers={"Location": target})
    raise Forbidden(
        "This procedure needs a level-2 e-ID account",
        code=ProcedureErrorCode.LEVEL_REQUIRED,
        level=procedure.acr,
    )


@router.get("/procedures/{code}/apply", response_class=HTMLResponse)
def apply_page(request: Request, code: Code, db: DbSession) -> HTMLResponse:
    procedure = catalogue.get(code)
    login, applicant = _applicant(request, db)
    _level_gate(request, login, procedure, applicant)
    key = secrets.token_urlsafe(18)
    context = _apply_context(request, db, procedure, applicant, key=key, form={})
    return _page(request, "apply.html", context)


async def _uploads(form: Any) -> list[files.Upload]:
    found = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile) and name.startswith("file_") and value.filename:
            if len(found) >= MAX_FORM_FILES:
                break
            limit = get_settings().procedures_max_upload_bytes
            data = await value.read(limit + 1)
            found.append(files.Upload(name.removeprefix("file_"), value.filename, data))
    return found


@router.post("/procedures/{code}/apply", response_model=None)
async def apply_submit(request: Request, code: Code, db: DbSession, _csrf: CsrfChecked) -> Response:
    form = await request.form()
    texts = {k: v for k, v in form.items() if isinstance(v, str)}
    uploads = await _uploads(form)
    submit = texts.get("action") == "submit"
    options = FeeOptions(
        choices=[v for v in form.getlist("fee_choice") if isinstance(v, str)][:10],
        reduction=(texts.get("reduction") or None),
    )

    def work() -> Response:
        procedure = catalogue.get(code)
        login, applicant = _applicant(request, db)
        _level_gate(request, login, procedure, applicant)
        values = {f.key: texts.get(f.key, "") for f in procedure.fields}
        try:
            dossier = dossiers.save(
                db,
                applicant,
                procedure.code,
                values,
                uploads,
                key=texts.get("idempotency_key", ""),
                delivery=texts.get("delivery", "wallet"),
                fee_options=options,
                submit=submit,
            )
        except DancuError as exc:
            db.rollback()
            key = texts.get("idempotency_key") or secrets.token_urlsafe(18)
            context = _apply_context(request, db, procedure, applicant, key=key, form=values)
            context["error"] = exc
            return _page(request, "apply.html", context, status_code=exc.status_code)
        if submit:
            return RedirectResponse(f"/my-dossiers/{dossier.code}?submitted=1", status_code=303)
        return RedirectResponse(f"/procedures/{procedure.code}/apply?saved=1", status_code=303)

    return await run_in_threadpool(work)


@router.get("/my-dossiers", response_class=HTMLResponse)
def my_dossiers(request: Request, db: DbSession) -> HTMLResponse:
    _login, applicant = _applicant(request, db)
    rows = [dossiers.describe(db, d, full=False) for d in dossiers.my_dossiers(db, applicant)]
    return _page(request, "my_dossiers.html", {"dossiers": rows, "today": dossiers.local_today()})


def _status_page(
    request: Request, db: Any, applicant: Applicant, code: str, error: DancuError | None = None
) -> HTMLResponse:
    dossier = dossiers.my_dossier(db, applicant, code)
    out = dossiers.describe(db, dossier)
    procedure = catalogue.catalogue().get(dossier.procedure_code)
    context = {
        "d": out,
        "p": procedure,
        "error": error,
        "submitted": request.query_params.get("submitted"),
        "field_names": _field_names(request, procedure),
    }
    return _page(request, "dossier.html", context, status_code=error.status_code if error else 200)


@router.get("/my-dossiers/{code}", response_class=HTMLResponse)
def dossier_page(request: Request, code: Code, db: DbSession) -> HTMLResponse:
    _login, applicant = _applicant(request, db)
    return _status_page(request, db, applicant, code)


def _citizen_action(request: Request, db: Any, code: str, act: Any) -> Response:
    _login, applicant = _applicant(request, db)
    try:
        act(applicant)
    except DancuError as exc:
        db.rollback()
        return _status_page(request, db, applicant, code, error=exc)
    return RedirectResponse(f"/my-dossiers/{code}", status_code=303)


@router.post("/my-dossiers/{code}/withdraw", response_model=None)
def withdraw(request: Request, code: Code, db: DbSession, _csrf: CsrfChecked) -> Response:
    return _citizen_action(request, db, code, lambda a: dossiers.withdraw(db, a, code))


@router.post("/my-dossiers/{code}/delivery", response_model=None)
def delivery(
    request: Request,
    code: Code,
    db: DbSession,
    _csrf: CsrfChecked,
    delivery: Annotated[Code, Form()] = "",
) -> Response:
    return _citizen_action(
        request, db, code, lambda a: dossiers.choose_delivery(db, a, code, delivery)
    )


@router.post("/my-dossiers/{code}/rate", response_model=None)
def rate(
    request: Request,
    code: Code,
    db: DbSession,
    _csrf: CsrfChecked,
    rating: Annotated[int, Form(ge=1, le=5)] = 0,
    comment: Annotated[Text, Form()] = "",
) -> Response:
    return _citizen_action(request, db, code, lambda a: dossiers.rate(db, a, code, rating, comment))


@router.post("/my-dossiers/{code}/supplement", response_model=None)
async def supplement(request: Request, code: Code, db: DbSession, _csrf: CsrfChecked) -> Response:
    form = await request.form()
    uploads = await _uploads(form)
    note = form.get("note")
    text = note if isinstance(note, str) else ""

    def work() -> Response:
        return _citizen_action(
            request,
            db,
            code,
            lambda a: dossiers.answer_supplement(db, a, code, uploads, note=text[:500]),
        )

    return await run_in_threadpool(work)


# --- the officer console --------------------------------------------------------------------


def _officer(actor: Actor) -> Actor:
    actor.require(Permission.PROCEDURE_PROCESS)
    return actor


@router.get("/procedure-console", response_class=HTMLResponse)
def console_page(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    agency: Code = "",
    status: Code = "",
    page: PageNo = 1,
) -> HTMLResponse:
    found = console.queue(
        db, _officer(actor), agency=agency or None, status=status or None, page=page
    )
    context = {
        "queue": found,
        "agency": agency,
        "status": status,
        "agencies": sorted(console.agencies_of(actor)),
        "unit_name": _unit_name,
        "can_figures": actor.can(Permission.PROCEDURE_FIGURES),
    }
    return _page(request, "console.html", context)


def _unit_name(code: str) -> str:
    try:
        return adminunits.province(code).name if len(code) == 2 else adminunits.commune(code).name
    except adminunits.UnknownUnitError:
        return code


def _console_dossier(
    request: Request, db: Any, actor: Actor, code: str, error: DancuError | None = None
) -> HTMLResponse:
    dossier = console.dossier_for(db, actor, code)
    out = dossiers.describe(db, dossier)
    procedure = catalogue.catalogue().get(dossier.procedure_code)
    step = next((s for s in out.steps if s.seq == out.current_step), None)
    mine = step is not None and step.agency in console.agencies_of(actor)
    may_assign = actor.can(Permission.PROCEDURE_ASSIGN)
    officers = console.assignable(db, actor, code) if may_assign else []
    context = {
        "d": out,
        "p": procedure,
        "step": step,
        "mine": mine and out.status in dossiers.OPEN,
        "can_assign": may_assign,
        "officers": officers,
        "assigned_name": next((o.name for o in officers if o.id == out.assigned_to), None),
        "me": actor.id,
        "error": error,
        "unit_name": _unit_name,
        "field_names": {**_field_names(request, procedure), "reason": N_("Reason")},
    }
    return _page(
        request, "console_dossier.html", context, status_code=error.status_code if error else 200
    )


@router.get("/procedure-console/dossiers/{code}", response_class=HTMLResponse)
def console_dossier(
    request: Request, code: Code, db: DbSession, actor: CurrentActor
) -> HTMLResponse:
    return _console_dossier(request, db, _officer(actor), code)


@router.get("/procedure-console/dossiers/{code}/files/{file_id}", response_model=None)
def console_file(code: Code, file_id: Id, db: DbSession, actor: CurrentActor) -> Response:
    dossier = console.dossier_for(db, _officer(actor), code)
    found = next((f for f in repo.files_of(db, dossier.id) if f.id == file_id), None)
    if found is None:
        raise HTTPException(status_code=404)
    return Response(
        files.read(found.sha256),
        media_type=found.content_type,
        headers={"Content-Disposition": f'attachment; filename="{found.sha256[:16]}"'},
    )


ACTIONS = ("lock", "release", "start", "supplement", "approve", "reject", "assign")


@router.post("/procedure-console/dossiers/{code}/{action}", response_model=None)
def console_action(
    request: Request,
    code: Code,
    action: Code,
    db: DbSession,
    actor: CurrentActor,
    _csrf: CsrfChecked,
    reason: Annotated[Text, Form()] = "",
    officer_id: Annotated[Code, Form()] = "",
) -> Response:
    officer = _officer(actor)
    run = {
        "lock": lambda: console.lock(db, officer, code),
        "release": lambda: console.release(db, officer, code),
        "start": lambda: console.start(db, officer, code),
        "supplement": lambda: console.request_supplement(db, officer, code, reason),
        "approve": lambda: console.approve(db, officer, code, reason),
        "reject": lambda: console.reject(db, officer, code, reason),
        "assign": lambda: console.assign(db, officer, code, officer_id),
    }.get(action)
    if run is None:
        raise HTTPException(status_code=404)
    try:
        run()
    except DancuError as exc:
        db.rollback()
        return _console_dossier(request, db, officer, code, error=exc)
    if action in ("approve", "reject", "supplement"):
        return RedirectResponse(f"/procedure-console?done={code}", status_code=303)
    return RedirectResponse(f"/procedure-console/dossiers/{code}", status_code=303)


@router.get("/procedure-figures", response_class=HTMLResponse)
def figures_page(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    unit: Code = "",
    period_from: Code = "",
    period_to: Code = "",
) -> HTMLResponse:
    actor.require(Permission.PROCEDURE_FIGURES)
    today = dossiers.local_today()
    unit = unit or (actor.units[0] if actor.units else "")
    start = dossiers.parse_date(period_from) or (today - timedelta(days=365))
    end = dossiers.parse_date(period_to) or today
    found = None
    error = None
    if unit:
        try:
            found = figures.figures(db, actor, unit=unit, period_from=start, period_to=end)
        except DancuError as exc:
            error = exc
    context = {
        "fig": found,
        "unit": unit,
        "start": start,
        "end": end,
        "error": error,
        "units": actor.units,
        "unit_name": _unit_name,
        "field_names": {"unit": N_("Unit"), "period_to": N_("To")},
    }
    return _page(request, "figures.html", context, status_code=error.status_code if error else 200)
