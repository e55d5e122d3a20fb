"""Uploaded components: the type is read from the bytes (never the name or the browser's
claim), the size is bounded, and the bytes are stored outside the database under their
SHA-256 (``<procedures_upload_dir>/ab/cd/<sha256>``), so the same bytes are stored once.

Durability (docs/procedures.md, "Durability"): a file is written to a temporary file,
fsynced, renamed into place and its folder fsynced *before* the transaction that points to
it commits, so an acknowledged dossier's files survive a crash or a power cut whole. A
request killed between the write and the commit leaves a file no row points to (or a
temporary ``.upload-*`` file): never half a file, never reachable (files are served by their
dossier's row), and removed by ``sweep`` once older than ``SWEEP_GRACE``. ``store`` touches
a file it reuses, and ``sweep`` moves a file aside before deciding, so a file reused while
the sweep runs is never lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from dancu.common.errors import ValidationFailed
from dancu.db import utcnow
from dancu.procedures import repository as repo
from dancu.procedures.errors import ProcedureErrorCode
from dancu.settings import get_settings

TEMP_PREFIX = ".upload-"
ASIDE_PREFIX = ".sweep-"
SWEEP_GRACE = timedelta(hours=1)  # far longer than any request that writes a file
DIGEST = re.compile(r"[0-9a-f]{64}")

# Magic numbers of the types a dossier accepts (scans and photos).
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True, slots=True)
class Upload:
    """One file a citizen sent for a component."""

    component: str
    file_name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Stored:
    component: str
    file_name: str
    sha256: str
    size: int
    content_type: str


def sniff(data: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def check(upload: Upload, *, max_bytes: int | None = None) -> str:
    """The content type of an acceptable upload; refuses an empty, oversized or unknown one."""
    limit = max_bytes or get_settings().procedures_max_upload_bytes
    field = f"file_{upload.component}"
    if not upload.data:
        raise ValidationFailed("The file is empty", code=ProcedureErrorCode.FILE_EMPTY, field=field)
    if len(upload.data) > limit:
        raise ValidationFailed(
            f"The file is larger than {limit} bytes",
            code=ProcedureErrorCode.FILE_TOO_LARGE,
            field=field,
            limit=limit,
        )
    kind = sniff(upload.data)
    if kind is None:
        raise ValidationFailed(
            "Only PDF, PNG and JPEG files are accepted (the content decides, not the name)",
            code=ProcedureErrorCode.FILE_TYPE,
            field=field,
        )
    return kind


def root() -> Path:
    return Path(get_settings().procedures_upload_dir)


def path_of(sha256: str) -> Path:
    return root() / sha256[:2] / sha256[2:4] / sha256


def store(upload: Upload, content_type: str) -> Stored:
    """Write the bytes under their hash (once) and make them durable; returns what the
    dossier records. Call it before the commit that points to the file."""
    digest = hashlib.sha256(upload.data).hexdigest()
    target = path_of(digest)
    if not _reuse(target):
        _write(target, upload.data)
    name = os.path.basename(upload.file_name.replace("\\", "/"))[:200] or "file"
    return Stored(upload.component, name, digest, len(upload.data), content_type)


def _reuse(target: Path) -> bool:
    """Mark a file already stored as just used (a sweep then leaves it); False if absent."""
    try:
        os.utime(target)
    except FileNotFoundError:
        return False
    return True


def _write(target: Path, data: bytes) -> None:
    changed = _make_folders(target.parent)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for folder in (target.parent, *changed):  # the new names survive a power cut too
        _fsync_folder(folder)


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the folders whose entries changed."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    return [p.parent for p in missing]


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read(sha256: str) -> bytes:
    return path_of(sha256).read_bytes()


def sweep(
    session: Session, *, grace: timedelta = SWEEP_GRACE, now: datetime | None = None
) -> list[Path]:
    """Remove what no dossier needs, last written more than ``grace`` ago: files no upload
    or result points to, and the temporary files of writes that were killed. Returns them."""
    folder = root()
    if not folder.is_dir():
        return []
    for aside in folder.glob(f"??/??/{ASIDE_PREFIX}*"):  # a sweep killed while deciding
        with contextlib.suppress(FileNotFoundError):  # (or one still running: it decided)
            os.replace(aside, aside.with_name(aside.name.removeprefix(ASIDE_PREFIX)))
    cutoff = ((now or utcnow()) - grace).timestamp()
    old = [p for p in folder.glob("??/??/*") if _older(p, cutoff)]
    removed = [p for p in old if p.name.startswith(TEMP_PREFIX) and _unlink(p)]
    stored = {p.name: p for p in old if DIGEST.fullmatch(p.name)}
    used: set[str] = set()
    names = sorted(stored)
    for start in range(0, len(names), 500):
        used |= repo.stored_in_use(session, names[start : start + 500])
    removed += [p for name, p in stored.items() if name not in used and _remove(p, cutoff)]
    return removed


def _older(path: Path, cutoff: float) -> bool:
    try:
        return path.is_file() and path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _remove(path: Path, cutoff: float) -> bool:
    """Remove an unused file unless ``store`` reused it meanwhile: moved aside first (a
    reuse after that finds no file and writes it again), then its time tells whether a
    reuse touched it before the move (then it goes back)."""
    aside = path.with_name(ASIDE_PREFIX + path.name)
    try:
        os.replace(path, aside)
        if aside.stat().st_mtime >= cutoff:
            os.replace(aside, path)  # the same bytes as any copy written meanwhile
            return False
        aside.unlink()
    except FileNotFoundError:  # another sweep took it or put it back first
        return False
    return True
