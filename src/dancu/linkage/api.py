"""Linkage JSON routes: parse, authorize (in the service), call one service function, return.

Errors answer with stable codes (``linkage.*``, ``auth.*``, ``paging.invalid``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from dancu.common.access import Permission
from dancu.common.bounds import Code, Id, PageNo
from dancu.common.errors import ValidationFailed
from dancu.linkage import cleaning, exports, imports, runs, service
from dancu.linkage.errors import LinkageErrorCode
from dancu.linkage.schemas import (
    CorrectionIn,
    DecisionIn,
    DecisionOut,
    ImportStatusOut,
    JobOut,
    QueuePage,
    ReportOut,
    SourceOut,
)
from dancu.web.deps import CurrentActor, DbSession
from dancu.web.i18n import translate

router = APIRouter(prefix="/api/linkage", tags=["linkage"])

EXPORTS = {
    "csv": ("text/csv; charset=utf-8", exports.export_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        exports.export_xlsx,
    ),
}

_FILE = {"schema": {"type": "string", "format": "binary"}}
# What the exports answer, for /openapi.json (the body is a file, not JSON).
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment (`Content-Disposition`)",
        "content": {media.split(";")[0]: _FILE for media, _ in EXPORTS.values()},
    }
}
PROBLEMS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The problems by line (UTF-8 with a BOM)", "content": {"text/csv": _FILE}}
}


def vietnamese_reason(code: str) -> str:
    """The Vietnamese text of a problem code, for the files sent back to sector agencies."""
    return translate("vi", code)


def parse_mapping(text: str | None) -> dict[str, str] | None:
    """A mapping typed in a form: JSON ``{"field": "column"}`` (empty: the saved one)."""
    if not text or not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            'The mapping must be JSON, e.g. {"full_name": "HoTen"}',
            code=LinkageErrorCode.MAPPING_JSON,
            field="mapping",
        ) from exc
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValidationFailed(
            "The mapping must map fields to column names",
            code=LinkageErrorCode.MAPPING_JSON,
            field="mapping",
        )
    return value


@router.get("/source-types")
def source_types(actor: CurrentActor) -> dict[str, str]:
    return service.source_types()


@router.get("/mappings/{source_type}")
def get_mapping(source_type: Code, db: DbSession, actor: CurrentActor) -> dict[str, str]:
    actor.require(Permission.LINKAGE_READ)
    return service.mapping_for(db, source_type)


@router.put("/mappings/{source_type}")
def put_mapping(
    source_type: Code, mapping: dict[str, str], db: DbSession, actor: CurrentActor
) -> dict[str, str]:
    return service.save_mapping(db, source_type, mapping, actor=actor)


@router.get("/sources", response_model=list[SourceOut])
def list_sources(db: DbSession, actor: CurrentActor) -> list[SourceOut]:
    return service.list_sources(db, actor=actor)


@router.post("/sources", status_code=status.HTTP_202_ACCEPTED, response_model=ImportStatusOut)
def import_source(
    db: DbSession,
    actor: CurrentActor,
    file: Annotated[UploadFile, File()],
    source_type: Annotated[str, Form()],
    province_code: Annotated[str, Form()],
    name: Annotated[str | None, Form()] = None,
    mapping: Annotated[str | None, Form()] = None,
    run: Annotated[bool, Form()] = False,
) -> ImportStatusOut:
    """Store the file and queue its import: answers at once with the import to follow at
    ``GET /api/linkage/imports/{id}`` (a plain ``def``: the copy to disk runs in the thread
    pool, the import in a worker, never on the event loop)."""
    return imports.queue_import(
        db,
        file.file,
        file_name=file.filename or "upload.csv",
        source_type=source_type,
        province_code=province_code,
        actor=actor,
        name=name or None,
        mapping=parse_mapping(mapping),
        run=run,
    )


@router.get("/imports/{import_id}", response_model=ImportStatusOut)
def get_import(import_id: Id, db: DbSession, actor: CurrentActor) -> ImportStatusOut:
    return imports.get_import(db, import_id, actor=actor)


@router.get("/sources/{source_id}", response_model=ReportOut)
def get_report(source_id: Id, db: DbSession, actor: CurrentActor, page: PageNo = 1) -> ReportOut:
    return service.report(db, source_id, actor=actor, page=page)


@router.post("/sources/{source_id}/runs", status_code=status.HTTP_202_ACCEPTED)
def start_run(source_id: Id, db: DbSession, actor: CurrentActor) -> JobOut:
    return runs.enqueue_run(db, source_id, actor=actor)


@router.get("/jobs/{job_id}")
def get_job(job_id: Id, db: DbSession, actor: CurrentActor) -> JobOut:
    return runs.get_job(db, job_id, actor=actor)


@router.get("/rates")
def rates(db: DbSession, actor: CurrentActor, source_id: Id | None = None) -> list[dict[str, Any]]:
    return [r.to_dict() for r in service.sync_rates(db, actor=actor, source_id=source_id)]


@router.get("/queue", response_model=QueuePage)
def get_queue(
    db: DbSession,
    actor: CurrentActor,
    source_id: Id | None = None,
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=cleaning.MAX_PER_PAGE)] = 50,
) -> QueuePage:
    return cleaning.queue(db, actor=actor, source_id=source_id, page=page, per_page=per_page)


@router.post("/queue/{result_id}/accept", response_model=DecisionOut)
def accept(
    result_id: Id, db: DbSession, actor: CurrentActor, body: DecisionIn | None = None
) -> DecisionOut:
    return cleaning.accept(db, result_id, actor=actor, note=(body or DecisionIn()).note)


@router.post("/queue/{result_id}/correct", response_model=DecisionOut)
def correct(result_id: Id, body: CorrectionIn, db: DbSession, actor: CurrentActor) -> DecisionOut:
    return cleaning.correct(db, result_id, body.field, body.value, actor=actor, note=body.note)


@router.post("/queue/{result_id}/not-in-province", response_model=DecisionOut)
def not_in_province(
    result_id: Id, db: DbSession, actor: CurrentActor, body: DecisionIn | None = None
) -> DecisionOut:
    return cleaning.not_in_province(db, result_id, actor=actor, note=(body or DecisionIn()).note)


@router.get("/sources/{source_id}/export", response_class=Response, responses=EXPORT_RESPONSES)
def export(
    source_id: Id, db: DbSession, actor: CurrentActor, format: Literal["csv", "xlsx"] = "csv"
) -> Response:
    media_type, make = EXPORTS[format]
    data = make(db, source_id, actor=actor)
    disposition = f'attachment; filename="dancu-linkage-{source_id}.{format}"'
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get(
    "/sources/{source_id}/problems/export", response_class=Response, responses=PROBLEMS_RESPONSES
)
def export_problems(source_id: Id, db: DbSession, actor: CurrentActor) -> Response:
    """The import's problems by line (CSV, UTF-8 with a BOM) to send back to the agency."""
    data = exports.problems_csv(db, source_id, actor=actor, reason=vietnamese_reason)
    disposition = f'attachment; filename="dancu-linkage-{source_id}-problems.csv"'
    return Response(
        data, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition}
    )
