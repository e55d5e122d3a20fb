"""Cleaning JSON routes: a bank uploads a customer list, follows the job, downloads the result.

``POST /api/exchange/cleaning/jobs`` (multipart: ``file``, optional ``mapping`` as JSON of
our field -> the list's column) answers 202 at once with the job to follow at
``GET /api/exchange/cleaning/jobs/{id}``; ``GET .../{id}/result`` is the bank's file with our
columns once the job is done. Each runs through the exchange door (``door.serve``: the
partner's credential, the ``bank_cleaning`` purpose, the rate limit, the message log); the
token needs the scope ``exchange.use``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from dancu.common.bounds import Id
from dancu.exchange import door
from dancu.exchange.cleaning import service
from dancu.exchange.cleaning.schemas import CleaningJobOut
from dancu.linkage.api import parse_mapping
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/api/exchange/cleaning", tags=["exchange"])
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _serve(db: Any, actor: Any, request: Request, work: Any, body: bytes = b"") -> door.Answer:
    return door.serve(
        db,
        actor,
        door.Call(request.method, request.url.path, body),
        purpose=service.PURPOSE,
        fields=None,
        work=work,
        personal=False,  # a job's status and counts, not a citizen's data
    )


def _json(answer: door.Answer, ok: int = 200) -> JSONResponse:
    status = ok if answer.status == 200 else answer.status
    return JSONResponse(answer.body, status_code=status, headers=answer.headers)


@router.post("/jobs", status_code=202, response_model=CleaningJobOut)
def submit(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    file: Annotated[UploadFile, File()],
    mapping: Annotated[str | None, Form(max_length=2000)] = None,
) -> JSONResponse:
    """Store the customer list and queue its cleaning (a plain ``def``: the copy to disk
    runs in the thread pool)."""
    parsed = parse_mapping(mapping)
    answer = _serve(
        db,
        actor,
        request,
        lambda ctx: service.queue_job(
            db,
            file.file,
            file_name=file.filename or "customers.csv",
            actor=ctx.actor,
            mapping=parsed,
        ).model_dump(mode="json"),
        f"{file.filename}:{file.size}".encode(),
    )
    return _json(answer, ok=202)


@router.get("/jobs/{job_id}", response_model=CleaningJobOut)
def get_job(job_id: Id, request: Request, db: DbSession, actor: CurrentActor) -> JSONResponse:
    answer = _serve(
        db,
        actor,
        request,
        lambda ctx: service.get_job(db, job_id, actor=ctx.actor).model_dump(mode="json"),
    )
    return _json(answer)


@router.get("/jobs/{job_id}/result", response_model=None)
def get_result(
    job_id: Id, request: Request, db: DbSession, actor: CurrentActor
) -> FileResponse | JSONResponse:
    """The bank's rows with ``dancu_status``, ``dancu_mismatched_fields``, ``dancu_method``."""
    found: dict[str, Any] = {}

    def work(ctx: Any) -> dict[str, Any]:
        path, name = service.result_file(db, job_id, actor=ctx.actor)
        found.update(path=path, name=name)
        return {"status": "ready"}

    answer = _serve(db, actor, request, work)
    if answer.status != 200:
        return _json(answer)
    path: Path = found["path"]
    return FileResponse(
        path,
        media_type=MEDIA[path.suffix.lstrip(".")],
        filename=found["name"],
        headers=answer.headers,
    )
