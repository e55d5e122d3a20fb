"""Cleaning JSON routes: a bank uploads a customer list, follows the job, downloads the result.

``POST /api/exchange/cleaning/jobs`` (multipart: ``file``, optional ``mapping`` as JSON of
our field -> the list's column) answers 202 at once with the job to follow at
``GET /api/exchange/cleaning/jobs/{id}``; ``GET .../{id}/result`` is the bank's file with our
columns once the job is done. Needs the ``exchange.cleaning`` scope and the
``verification`` purpose.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import FileResponse

from dancu.common.bounds import Id
from dancu.exchange.cleaning import service
from dancu.exchange.cleaning.schemas import CleaningJobOut
from dancu.linkage.api import parse_mapping
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/api/exchange/cleaning", tags=["exchange"])
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.post("/jobs", status_code=status.HTTP_202_ACCEPTED, response_model=CleaningJobOut)
def submit(
    db: DbSession,
    actor: CurrentActor,
    file: Annotated[UploadFile, File()],
    mapping: Annotated[str | None, Form(max_length=2000)] = None,
) -> CleaningJobOut:
    """Store the customer list and queue its cleaning (a plain ``def``: the copy to disk
    runs in the thread pool)."""
    return service.queue_job(
        db,
        file.file,
        file_name=file.filename or "customers.csv",
        actor=actor,
        mapping=parse_mapping(mapping),
    )


@router.get("/jobs/{job_id}", response_model=CleaningJobOut)
def get_job(job_id: Id, db: DbSession, actor: CurrentActor) -> CleaningJobOut:
    return service.get_job(db, job_id, actor=actor)


@router.get("/jobs/{job_id}/result")
def get_result(job_id: Id, db: DbSession, actor: CurrentActor) -> FileResponse:
    """The bank's rows with ``dancu_status``, ``dancu_mismatched_fields``, ``dancu_method``."""
    path, name = service.result_file(db, job_id, actor=actor)
    return FileResponse(path, media_type=MEDIA[path.suffix.lstrip(".")], filename=name)
