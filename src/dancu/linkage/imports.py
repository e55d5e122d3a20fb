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

A running import holds a lease: the worker that claimed it (``common.jobs.worker_id``) and
a heartbeat its job renews (``tasks.run_import``). A worker that dies (kill -9, a crash, a
stopped server) leaves its import's transaction rolled back and the lease unrenewed:
:func:`recover_stale` (a scheduled job) finds a lease older than
``DANCU_LINKAGE_STALE_SECONDS`` whose worker does not run any more, and queues the import
again from its upload, or, after ``MAX_ATTEMPTS`` or without the upload, fails it with
``linkage.import_interrupted``, which the import's page shows the officer. A worker on this
machine that still runs keeps its import even when its heartbeat cannot be written (SQLite
holds one writer at a time, and the import is one long transaction).

An upload whose import was never written (the request failed between the file and the
row), was removed, or ended without its file being removed (the worker died in between)
would stay on disk: :func:`clean_uploads` (a scheduled job, and ``dancu linkage
clean-uploads``) removes the files of the upload folder older than a grace period that no
queued or running import needs.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from dancu.common import jobs, outbox
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
MAX_ATTEMPTS = 3  # an import whose worker died this often is failed, not queued again
# An upload younger than this is left alone: it may still be written, or its import row
# not yet committed (the request stores the file first).
UPLOAD_GRACE = timedelta(hours=6)
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
    return repo.claim_import(session, import_id, utcnow(), jobs.worker_id())


def beat(session: Session, import_id: int) -> None:
    """Renew a running import's lease."""
    repo.beat_import(session, import_id, utcnow())


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


def recover_stale(
    session: Session,
    *,
    stale_after: timedelta,
    now: datetime | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> dict[int, str]:
    """Imports left running by a dead worker: queued again ("resumed", with
    ``IMPORT_QUEUED``), or failed with the reason ("failed"). Returns import id -> action.

    Stale: the lease was last renewed more than ``stale_after`` ago and its worker is not
    known to run (``jobs.worker_alive``: a process of this machine that runs keeps it). The
    dead worker's transaction was rolled back, so the upload is imported again from the
    start; each change is ``UPDATE ... WHERE status = 'running'``, so two recoverers do not
    both act."""
    now = now or utcnow()
    actions: dict[int, str] = {}
    for row in repo.stale_imports(session, now - stale_after):
        if jobs.worker_alive(row.worker):
            continue
        action, values = _recovery(row, now, max_attempts)
        if repo.recover_import(session, row.id, values):
            actions[row.id] = action
            if action == "resumed":
                outbox.emit(session, IMPORT_QUEUED, {"import_id": row.id})
            else:
                Path(row.path).unlink(missing_ok=True)
    session.flush()
    return actions


def _recovery(row: LinkageImport, now: datetime, max_attempts: int) -> tuple[str, dict[str, Any]]:
    beat = row.heartbeat_at.isoformat() if row.heartbeat_at else "never"
    why = f"the worker importing the file stopped (last heartbeat {beat})"
    if row.attempts < max_attempts and Path(row.path).is_file():
        return "resumed", {"status": "queued", "worker": None, "error": f"{why}; queued again"}
    reason = (
        f"{why}; not resumed after {row.attempts} attempts"
        if row.attempts >= max_attempts
        else f"{why}; the upload is gone"
    )
    return "failed", {
        "status": "failed",
        "finished_at": now,
        "error": f"The import was interrupted: {reason}. Send the file again."[:1000],
        "error_code": str(LinkageErrorCode.IMPORT_INTERRUPTED),
        "error_field": None,
    }


def clean_uploads(
    session: Session, *, grace: timedelta = UPLOAD_GRACE, now: datetime | None = None
) -> list[Path]:
    """Remove the orphan uploads: files of the upload folder last written more than
    ``grace`` ago that no queued or running import needs. Returns the removed files."""
    folder = upload_dir()
    if not folder.is_dir():
        return []
    cutoff = (now or utcnow()) - grace
    needed = {Path(path).name for path in repo.live_import_paths(session)}
    removed = []
    for path in sorted(folder.iterdir()):
        if path.name in needed or not path.is_file():
            continue
        try:
            written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if written < cutoff:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:  # removed meanwhile (its import ended)
            continue
    return removed


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
