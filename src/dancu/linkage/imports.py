"""Imports as use cases: an upload waits on disk, a job imports it, anyone may follow it.

``queue_import`` (the API, the page) checks what can be checked at once (permission,
province, source type, format, size), streams the upload to a file under
``DANCU_LINKAGE_UPLOAD_DIR``, writes a queued ``linkage_import`` row and emits
``IMPORT_QUEUED`` in the caller's transaction; after the commit the outbox's handler
enqueues the job (``tasks.import_file``), which claims the import and calls
:func:`execute`: the dataset is imported with ``service.import_dataset`` (streamed, in
chunks) and the import marked done in one transaction, or, on an error, marked failed
with its code in another. So a request answers at once whatever the file's size, and the
import's status is what ``get_import`` returns.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from dancu.common import outbox
from dancu.common.access import Actor, Permission
from dancu.common.errors import NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.linkage import repository as repo
from dancu.linkage import runs, service
from dancu.linkage.errors import LinkageErrorCode
from dancu.linkage.events import IMPORT_QUEUED
from dancu.linkage.mappings import FIELDS
from dancu.linkage.models import LinkageImport
from dancu.linkage.readers import FORMATS
from dancu.linkage.schemas import ImportStatusOut, ProblemOut, SourceOut
from dancu.settings import get_settings

MAX_UPLOAD = 200 * 1024 * 1024
BLOCK = 1024 * 1024  # bytes copied at a time
Progress = Callable[[str, int, int], None]


def queue_import(
    session: Session,
    upload: BinaryIO,
    *,
    file_name: str,
    source_type: str,
    province_code: str,
    actor: Actor,
    name: str | None = None,
    mapping: Mapping[str, str] | None = None,
    run: bool = False,
) -> ImportStatusOut:
    """Store an upload and queue its import (the job is told after the caller commits)."""
    actor.require(Permission.LINKAGE_MANAGE)
    service.require_province(actor, province_code)
    service.mapping_for(session, source_type)  # a known source type
    _check_mapping(mapping)
    suffix = _suffix(file_name)
    path = store_upload(upload, suffix)
    try:
        row = LinkageImport(
            status="queued",
            source_type=source_type,
            province_code=province_code,
            name=name,
            mapping=dict(mapping) if mapping else None,
            file_name=Path(file_name).name[:255],
            path=str(path),
            size=path.stat().st_size,
            run=run,
            requested_by=actor.id,
            actor=actor.to_dict(),
        )
        session.add(row)
        session.flush()
        outbox.emit(session, IMPORT_QUEUED, {"import_id": row.id})
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ImportStatusOut.model_validate(row)


def _suffix(file_name: str) -> str:
    suffix = Path(file_name).suffix.lstrip(".").lower()
    if suffix not in FORMATS:
        raise ValidationFailed(
            f"unsupported file format {suffix or '(none)'!r}; use CSV, XLSX or Parquet",
            code=LinkageErrorCode.BAD_FORMAT,
            field="file",
        )
    return suffix


def _check_mapping(mapping: Mapping[str, str] | None) -> None:
    unknown = sorted(set(mapping or {}) - set(FIELDS))
    if unknown:
        raise ValidationFailed(
            f"unknown field {unknown[0]!r} in the mapping",
            code=LinkageErrorCode.UNKNOWN_FIELD,
            field=unknown[0],
        )


def upload_dir() -> Path:
    return Path(get_settings().linkage_upload_dir)


def store_upload(upload: BinaryIO, suffix: str, *, limit: int = MAX_UPLOAD) -> Path:
    """Copy an upload to a new file of its own, a block at a time; refuse an empty file or
    one larger than ``limit`` (``linkage.empty_file``, ``linkage.too_large``)."""
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.{suffix}"
    size = 0
    try:
        with path.open("xb") as out:
            while block := upload.read(BLOCK):
                size += len(block)
                if size > limit:
                    raise ValidationFailed(
                        f"The file is larger than {limit // 2**20} MB",
                        code=LinkageErrorCode.TOO_LARGE,
                        field="file",
                    )
                out.write(block)
        if size == 0:
            raise ValidationFailed(
                "the file is empty", code=LinkageErrorCode.EMPTY_FILE, field="file"
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------------------- the job's step


def claim(session: Session, import_id: int) -> bool:
    """queued -> running; False if it is not queued (done, failed, or another worker's)."""
    if repo.import_(session, import_id) is None:
        raise NotFound("No such import", code=LinkageErrorCode.IMPORT_NOT_FOUND)
    return repo.claim_import(session, import_id, utcnow())


def execute(session: Session, import_id: int, *, progress: Progress | None = None) -> None:
    """Import a claimed upload on behalf of the officer who sent it, and queue its run if
    they asked for one; the caller commits (or rolls back and calls :func:`fail`)."""
    row = _get(session, import_id)
    actor = Actor.from_dict(row.actor)
    out = service.import_dataset(
        session,
        Path(row.path),
        file_name=row.file_name if Path(row.file_name).suffix else row.path,
        source_type=row.source_type,
        province_code=row.province_code,
        actor=actor,
        name=row.name,
        mapping=row.mapping,
        progress=progress,
    )
    row.source_id = out.source.id
    if row.run:
        row.job_id = runs.enqueue_run(session, out.source.id, actor=actor).id
    row.status, row.finished_at = "done", utcnow()
    session.flush()


def fail(
    session: Session, import_id: int, reason: str, *, code: str | None, field: str | None
) -> None:
    row = _get(session, import_id)
    row.status, row.finished_at = "failed", utcnow()
    row.error, row.error_code, row.error_field = reason[:1000], code, field
    session.flush()


def discard_upload(session: Session, import_id: int) -> None:
    """Remove a finished import's upload: its data are in the database, or refused."""
    row = _get(session, import_id)
    if row.status in ("done", "failed"):
        with contextlib.suppress(FileNotFoundError):
            Path(row.path).unlink()


def status(session: Session, import_id: int) -> ImportStatusOut:
    """An import's status for the job and the CLI (no permission check: they act for the
    officer who sent it)."""
    return _status(session, _get(session, import_id))


def _get(session: Session, import_id: int) -> LinkageImport:
    row = repo.import_(session, import_id)
    assert row is not None  # claimed above; imports are never deleted
    return row


# ---------------------------------------------------------------------------- reading


def get_import(session: Session, import_id: int, *, actor: Actor) -> ImportStatusOut:
    """An import's status, for an officer of its province (else not found)."""
    actor.require(Permission.LINKAGE_READ)
    row = repo.import_(session, import_id)
    visible = row is not None and (
        actor.nationwide or row.province_code in repo.actor_provinces(actor)
    )
    if row is None or not visible:
        raise NotFound("No such import", code=LinkageErrorCode.IMPORT_NOT_FOUND, field="import_id")
    return _status(session, row)


def _status(session: Session, row: LinkageImport) -> ImportStatusOut:
    out = ImportStatusOut.model_validate(row)
    if row.source_id is not None:
        source = repo.source_any(session, row.source_id)
        out.source = SourceOut.model_validate(source) if source else None
        problems, _ = repo.problems(session, row.source_id, limit=100)
        out.problems = [ProblemOut.model_validate(p) for p in problems]
    return out
