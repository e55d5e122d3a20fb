"""The dossier's state machine: ``transition`` is one conditional UPDATE on (id, status,
version) that only one caller can win, a history row and a
``procedures.dossier_status_changed`` outbox event (the citizen's notifications hang off it),
all in the caller's transaction; ``raise_transition`` is the refusal of a move the workflow
forbids. ``local_today`` is the day in Vietnam, which deadlines count in.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from dancu.common import outbox
from dancu.common.errors import (
    InvalidState,
)
from dancu.db import utcnow
from dancu.procedures import events
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.models import Dossier, DossierHistory

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

OPEN = ("submitted", "processing", "supplement")

FINAL = ("approved", "rejected", "withdrawn")


def local_today() -> date:
    return utcnow().astimezone(VN_TZ).date()


def transition(
    session: Session,
    dossier: Dossier,
    *,
    to: str,
    allowed_from: tuple[str, ...],
    actor_id: str,
    action: str,
    note: str | None = None,
    step: int | None = None,
    **values: Any,
) -> None:
    """Move the dossier to ``to`` if it is still in one of ``allowed_from`` at the version
    read (a conditional UPDATE: of two racing callers exactly one wins)."""
    previous = dossier.status
    if previous not in allowed_from:
        raise_transition(dossier, to)
    now = utcnow()
    result = session.execute(
        update(Dossier)
        .where(
            Dossier.id == dossier.id,
            Dossier.status == previous,
            Dossier.version == dossier.version,
        )
        .values(status=to, version=Dossier.version + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(dossier)
        raise_transition(dossier, to)
    session.refresh(dossier)
    session.add(
        DossierHistory(
            dossier_id=dossier.id,
            at=now,
            actor_id=actor_id,
            action=action,
            from_status=previous,
            to_status=to,
            step=step,
            note=note,
        )
    )
    _announce(session, dossier, previous, step)
    session.flush()


def _announce(session: Session, dossier: Dossier, previous: str, step: int | None) -> None:
    outbox.emit(
        session,
        events.DOSSIER_STATUS_CHANGED,
        {
            "dossier": dossier.code,
            "procedure": dossier.procedure_code,
            "status": dossier.status,
            "previous": previous,
            "pid": dossier.applicant_pid,
            "account_id": dossier.account_id,
            "step": step,
            "due_on": dossier.due_on.isoformat() if dossier.due_on else None,
            "channel": dossier.channel,
            "version": dossier.version,  # with the code, the change's key (npsp outbound)
        },
    )


def raise_transition(dossier: Dossier, to: str) -> None:
    if dossier.status == "withdrawn":
        raise InvalidState(
            "The dossier was withdrawn",
            code=ProcedureErrorCode.WITHDRAWN,
            field="status",
        )
    raise InvalidState(
        f"A dossier that is {dossier.status} cannot become {to}",
        code=ProcedureErrorCode.TRANSITION,
        field="status",
        status=dossier.status,
        to=to,
    )
