"""Uploaded components: the type is read from the bytes (never the name or the browser's
claim), the size is bounded, and the bytes are stored outside the database under their
SHA-256 (``<procedures_upload_dir>/ab/cd/<sha256>``), written to a temporary file and renamed
into place, so a file is either whole or absent and the same bytes are stored once.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dancu.common.errors import ValidationFailed
from dancu.procedures.errors import ProcedureErrorCode
from dancu.settings import get_settings

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
    """Write the bytes under their hash (once); returns what the dossier records."""
    digest = hashlib.sha256(upload.data).hexdigest()
    target = path_of(digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(upload.data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    name = os.path.basename(upload.file_name.replace("\\", "/"))[:200] or "file"
    return Stored(upload.component, name, digest, len(upload.data), content_type)


def read(sha256: str) -> bytes:
    return path_of(sha256).read_bytes()
