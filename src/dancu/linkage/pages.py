"""Linkage pages for officers: datasets and the upload form, a dataset's report, a run's
progress (refreshing itself while it runs, no JavaScript needed), the cleaning queue."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BeforeValidator

from dancu.common import adminunits
from dancu.common.access import Permission
from dancu.common.bounds import Code, Id, PageNo
from dancu.common.errors import DancuError
from dancu.linkage import api, cleaning, imports, runs, service
from dancu.linkage.repository import PROBABILITY_BANDS, QUEUE_OUTCOMES
from dancu.linkage.schemas import CORRECTABLE, OUTCOME_ORDER
from dancu.linkage.service import PURPOSE
from dancu.web.csrf import require_csrf_unless_bearer
from dancu.web.deps import CurrentActor, DbSession
from dancu.web.templating import render

router = APIRouter(prefix="/linkage", include_in_schema=False)
REFRESH_SECONDS = 3


def _common(actor: Any) -> dict[str, Any]:
    return {
        "outcomes": OUTCOME_ORDER,
        "types": service.source_types(),
        "can_manage": actor.can(Permission.LINKAGE_MANAGE),
        "can_clean": actor.can(Permission.LINKAGE_CLEAN),
    }


def _may_work_on_whole(actor: Any, province_code: str) -> bool:
    """Re-sync and exports: the manage permission and an officer of the dataset's province
    (``service.require_province``), so a commune's officer is not offered a 403."""
    if not actor.can(Permission.LINKAGE_MANAGE):
        return False
    try:
        service.require_province(actor, province_code)
    except DancuError:
        return False
    return True


def _sources_page(
    request: Request,
    db: Any,
    actor: Any,
    *,
    error: DancuError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    sources = service.list_sources(db, actor=actor)
    rates = {r.source_id: r for r in service.sync_rates(db, actor=actor) if r.level == "dataset"}
    provinces = (
        [adminunits.province(c) for c in actor.province_units]
        if not actor.nationwide
        else adminunits.provinces()
    )
    context = {
        **_common(actor),
        "sources": sources,
        "rates": rates,
        "scopes": {s.id: service.scope_name(actor, s.province_code) for s in sources},
        "error": error,
        "form": form or {"source_type": "land", "name": "", "mapping": ""},
        "provinces": provinces,
    }
    return render(request, "linkage/sources.html", context, status_code=422 if error else 200)


@router.get("", response_class=HTMLResponse)
def sources_page(request: Request, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    return _sources_page(request, db, actor)


@router.post("/sources", response_model=None)
def upload(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    file: Annotated[UploadFile, File()],
    source_type: Annotated[str, Form()],
    province_code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    mapping: Annotated[str, Form()] = "",
    run: Annotated[bool, Form()] = False,
) -> Response:
    """Store the file and queue its import, then follow it (a plain ``def``: the copy runs
    in the thread pool, the import in a worker)."""
    form = {
        "source_type": source_type,
        "name": name,
        "mapping": mapping,
        "province_code": province_code,
    }
    try:
        queued = imports.queue_import(
            db,
            file.file,
            file_name=file.filename or "upload.csv",
            source_type=source_type,
            province_code=province_code or (actor.province_units or ("",))[0],
            actor=actor,
            name=name or None,
            mapping=api.parse_mapping(mapping),
            run=run,
        )
    except DancuError as exc:
        db.rollback()
        return _sources_page(request, db, actor, error=exc, form=form)
    return RedirectResponse(f"/linkage/imports/{queued.id}", status_code=303)


@router.get("/imports/{import_id}", response_model=None)
def import_page(request: Request, import_id: Id, db: DbSession, actor: CurrentActor) -> Response:
    """An import's progress: refreshing while it waits or runs, the dataset once done, the
    reason (and the form again) when refused."""
    status = imports.get_import(db, import_id, actor=actor)
    if status.status == "done" and status.source_id is not None:
        return RedirectResponse(f"/linkage/sources/{status.source_id}?imported=1", status_code=303)
    active = status.status in ("queued", "running")
    context = {"imp": status, "refresh": REFRESH_SECONDS if active else None}
    return _refreshing(render(request, "linkage/import.html", context), context["refresh"])


@router.get("/sources/{source_id}", response_class=HTMLResponse)
def source_page(
    request: Request, source_id: Id, db: DbSession, actor: CurrentActor, page: PageNo = 1
) -> HTMLResponse:
    report = service.report(db, source_id, actor=actor, page=page)
    active = report.job is not None and report.job.status in ("queued", "running")
    context = {
        **_common(actor),
        "can_manage": _may_work_on_whole(actor, report.source.province_code),
        "r": report,
        "page": page,
        "per_page": 100,
        "refresh": REFRESH_SECONDS if active else None,
        "imported": request.query_params.get("imported"),
    }
    return _refreshing(render(request, "linkage/source.html", context), context["refresh"])


@router.post("/sources/{source_id}/run")
def start_run(source_id: Id, db: DbSession, actor: CurrentActor) -> RedirectResponse:
    job = runs.enqueue_run(db, source_id, actor=actor)
    return RedirectResponse(f"/linkage/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: Id, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    job = runs.get_job(db, job_id, actor=actor)
    active = job.status in ("queued", "running")
    context = {"job": job, "refresh": REFRESH_SECONDS if active else None}
    return _refreshing(render(request, "linkage/job.html", context), context["refresh"])


def _refreshing(response: HTMLResponse, seconds: int | None) -> HTMLResponse:
    """Ask the browser to reload while a run is in progress (no script, no CDN)."""
    if seconds:
        response.headers["Refresh"] = str(seconds)
    return response


class QueueFilter:
    """The queue's filters and page, carried by every form and link of the queue page."""

    def __init__(
        self,
        source_id: int | None,
        commune: str | None,
        page: int,
        outcome: str | None = None,
        band: str | None = None,
    ) -> None:
        self.source_id, self.commune, self.page = source_id, commune or None, page
        self.outcome, self.band = outcome or None, band or None

    def query(self, **extra: Any) -> str:
        params = {
            "source_id": self.source_id,
            "commune": self.commune,
            "outcome": self.outcome,
            "band": self.band,
            "page": self.page,
        }
        merged = {**extra, **{k: v for k, v in params.items() if k not in extra}}
        return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _queue_page(
    request: Request,
    db: Any,
    actor: Any,
    where: QueueFilter,
    *,
    error: DancuError | None = None,
    error_item: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    result = cleaning.queue(
        db,
        actor=actor,
        source_id=where.source_id,
        page=where.page,
        commune_code=where.commune,
        outcome=where.outcome,
        band=where.band,
    )
    context = {
        **_common(actor),
        "q": result,
        "where": where,
        "source_id": where.source_id,
        "sources": service.list_sources(db, actor=actor),
        "communes": cleaning.communes_waiting(db, actor=actor, source_id=where.source_id),
        "queue_outcomes": QUEUE_OUTCOMES,
        "bands": PROBABILITY_BANDS,
        "correctable": CORRECTABLE,
        "done": request.query_params.get("done"),
        "count": request.query_params.get("count"),
        "error": error,
        "error_item": error_item,
        "commune_name": _commune_name,
        "as_date": _as_date,
        "can_open_citizen": actor.can(Permission.CITIZEN_READ),
        "purpose": PURPOSE,
    }
    return render(request, "linkage/queue.html", context, status_code=status_code)


def _commune_name(code: str | None) -> str:
    unit = adminunits.find_commune(code) if code else None
    return unit.name if unit else (code or "")


def _as_date(value: object) -> date | None:
    """A record's ISO date (``1990-05-17``) as a date the page writes dd/mm/yyyy."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _blank_is_none(value: object) -> object:
    """A select's "all" option sends an empty value: no filter, not a bad number."""
    return None if value == "" else value


_CHECKED = [Depends(require_csrf_unless_bearer)]  # the queue's forms carry the token
SourceFilter = Annotated[Id | None, BeforeValidator(_blank_is_none)]
FilterSource = Annotated[SourceFilter, Form()]
FilterCommune = Annotated[Code | None, Form()]
FilterPage = Annotated[PageNo, Form()]
FilterOutcome = Annotated[Code | None, Form()]
FilterBand = Annotated[Code | None, Form()]


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    source_id: SourceFilter = None,
    commune: Code | None = None,
    page: PageNo = 1,
    outcome: Code | None = None,
    band: Code | None = None,
) -> HTMLResponse:
    return _queue_page(request, db, actor, QueueFilter(source_id, commune, page, outcome, band))


def _back(where: QueueFilter, done: str, count: int | None = None) -> RedirectResponse:
    return RedirectResponse(
        f"/linkage/queue?{where.query(done=done, count=count)}", status_code=303
    )


@router.post("/queue/{result_id}/accept", dependencies=_CHECKED)
def accept(
    result_id: Id,
    db: DbSession,
    actor: CurrentActor,
    note: Annotated[str, Form()] = "",
    source_id: FilterSource = None,
    commune: FilterCommune = None,
    page: FilterPage = 1,
    outcome: FilterOutcome = None,
    band: FilterBand = None,
) -> RedirectResponse:
    cleaning.accept(db, result_id, actor=actor, note=note[:500])
    return _back(QueueFilter(source_id, commune, page, outcome, band), "accept")


@router.post("/queue/accept-selected", response_model=None, dependencies=_CHECKED)
def accept_selected(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    result_id: Annotated[list[Id] | None, Form()] = None,
    confirmed: Annotated[bool, Form()] = False,
    note: Annotated[str, Form()] = "",
    source_id: FilterSource = None,
    commune: FilterCommune = None,
    page: FilterPage = 1,
    outcome: FilterOutcome = None,
    band: FilterBand = None,
) -> Response:
    """Accept the ticked proposals: first a page that lists them and asks to confirm, then
    all of them in this request's one transaction (one decision and audit entry each)."""
    where = QueueFilter(source_id, commune, page, outcome, band)
    ids = sorted(set(result_id or []))
    try:
        if not confirmed:
            chosen = _chosen(db, actor, ids)
            context = {"items": chosen, "where": where, "note": note[:500]}
            return render(request, "linkage/queue_confirm.html", context)
        decided = cleaning.accept_many(db, ids, actor=actor, note=note[:500])
    except DancuError as exc:
        if exc.status_code not in (404, 409, 422):
            raise
        db.rollback()
        return _queue_page(request, db, actor, where, error=exc, status_code=exc.status_code)
    return _back(where, "accept_many", len(decided))


def _chosen(db: Any, actor: Any, ids: list[int]) -> list[Any]:
    """The open items among ``ids`` (to confirm): refuses an empty or too large selection."""
    cleaning.check_selection(ids)
    page = cleaning.queue(db, actor=actor, per_page=cleaning.MAX_PER_PAGE, only=ids)
    return page.items


@router.post("/queue/{result_id}/correct", response_model=None, dependencies=_CHECKED)
def correct(
    request: Request,
    result_id: Id,
    db: DbSession,
    actor: CurrentActor,
    field: Annotated[str, Form()],
    value: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    source_id: FilterSource = None,
    commune: FilterCommune = None,
    page: FilterPage = 1,
    outcome: FilterOutcome = None,
    band: FilterBand = None,
) -> Response:
    where = QueueFilter(source_id, commune, page, outcome, band)
    try:
        cleaning.correct(db, result_id, field, value, actor=actor, note=note[:500])
    except DancuError as exc:
        if exc.status_code != 422:
            raise
        db.rollback()
        return _queue_page(
            request, db, actor, where, error=exc, error_item=result_id, status_code=422
        )
    return _back(where, "correct")


@router.post("/queue/{result_id}/not-in-province", dependencies=_CHECKED)
def not_in_province(
    result_id: Id,
    db: DbSession,
    actor: CurrentActor,
    note: Annotated[str, Form()] = "",
    source_id: FilterSource = None,
    commune: FilterCommune = None,
    page: FilterPage = 1,
    outcome: FilterOutcome = None,
    band: FilterBand = None,
) -> RedirectResponse:
    cleaning.not_in_province(db, result_id, actor=actor, note=note[:500])
    return _back(QueueFilter(source_id, commune, page, outcome, band), "not_in_province")


@router.get("/sources/{source_id}/export.{fmt}")
def export(source_id: Id, fmt: str, db: DbSession, actor: CurrentActor) -> Response:
    if fmt not in api.EXPORTS:
        return Response(status_code=404)
    return api.export(source_id, db, actor, format=fmt)  # type: ignore[arg-type]


@router.get("/sources/{source_id}/problems.csv")
def export_problems(source_id: Id, db: DbSession, actor: CurrentActor) -> Response:
    return api.export_problems(source_id, db, actor)
