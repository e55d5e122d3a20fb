"""What a citizen sees about their own data: who read or changed it, from the audit log."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.registry.schemas import AuditEntryOut


def my_access_log(session: Session, citizen_pid: str, *, limit: int = 100) -> list[AuditEntryOut]:
    """The newest audit entries whose subject is this citizen (the holder's own trail).

    ``citizen_pid`` must come from the signed-in account, never from the request.
    """
    return [
        AuditEntryOut.model_validate(e)
        for e in audit.trail(session, "citizen", citizen_pid, limit=limit)
    ]
