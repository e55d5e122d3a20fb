"""What a citizen does with their own dossiers after submitting: find them, withdraw,
answer a request to supplement (the clock restarts), choose how the result returns, rate.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlalchemy.orm import Session

from dancu.common.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from dancu.db import utcnow
from dancu.procedures import files, workdays
from dancu.procedures import repository as repo
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.files import Upload
from dancu.procedures.models import DELIVERIES, Dossier
from dancu.procedures.prefill import Applicant
from dancu.procedures.submission import attach_files
from dancu.procedures.workflow import FINAL, local_today, raise_transition, transition


def my_dossier(session: Session, applicant: Applicant, code: str) -> Dossier:
    dossier = repo.of_applicant(session, applicant.pid, code)
    if dossier is None:
        raise NotFound("No such dossier", code=ProcedureErrorCode.DOSSIER_NOT_FOUND, field="code")
    return dossier


def draft_for(session: Session, applicant: Applicant, procedure_code: str) -> Dossier | None:
    return repo.drafts_of(session, applicant.pid, procedure_code)


def my_dossiers(session: Session, applicant: Applicant) -> list[Dossier]:
    return repo.list_of_applicant(session, applicant.pid)


def withdraw(session: Session, applicant: Applicant, code: str) -> Dossier:
    dossier = my_dossier(session, applicant, code)
    transition(
        session,
        dossier,
        to="withdrawn",
        allowed_from=("draft", "submitted", "supplement"),
        actor_id=applicant.actor.id,
        action="withdraw",
        locked_by=None,
    )
    return dossier


def answer_supplement(
    session: Session,
    applicant: Applicant,
    code: str,
    uploads: list[Upload],
    *,
    note: str = "",
    today: date | None = None,
) -> Dossier:
    """The citizen supplies what was asked: the clock restarts, the deadlines move by the
    working days it was stopped."""
    dossier = my_dossier(session, applicant, code)
    if dossier.status != "supplement":
        raise_transition(dossier, "processing")
    checked = [(up, files.check(up)) for up in uploads]
    if not checked and not note.strip():
        raise ValidationFailed(
            "Send the documents or a note that was asked for",
            code=ProcedureErrorCode.COMPONENT_MISSING,
            field="files",
        )
    today = today or local_today()
    calendar = workdays.calendar_for(session, dossier.province_code)
    paused = dossier.paused_on or today
    due = calendar.resume_due(dossier.due_on, paused, today) if dossier.due_on else None
    transition(
        session,
        dossier,
        to="processing",
        allowed_from=("supplement",),
        actor_id=applicant.actor.id,
        action="supplemented",
        note=note.strip()[:500] or None,
        step=dossier.current_step,
        due_on=due,
        paused_on=None,
    )
    current = repo.step(session, dossier.id, dossier.current_step)
    if current is not None and current.due_on is not None:
        current.due_on = calendar.resume_due(current.due_on, paused, today)
    attach_files(session, dossier.id, checked)
    session.flush()
    return dossier


def choose_delivery(session: Session, applicant: Applicant, code: str, delivery: str) -> Dossier:
    dossier = my_dossier(session, applicant, code)
    if delivery not in DELIVERIES:
        raise ValidationFailed(
            "Choose how the result returns",
            code=ProcedureErrorCode.DELIVERY_INVALID,
            field="delivery",
        )
    if dossier.status in FINAL:
        raise_transition(dossier, dossier.status)
    result = session.execute(
        update(Dossier)
        .where(Dossier.id == dossier.id, Dossier.status.notin_(FINAL))
        .values(delivery=delivery, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(dossier)
        raise_transition(dossier, dossier.status)
    session.refresh(dossier)
    return dossier


def rate(
    session: Session, applicant: Applicant, code: str, rating: int, comment: str = ""
) -> Dossier:
    """The citizen's satisfaction (1 to 5), once, after the dossier is decided."""
    dossier = my_dossier(session, applicant, code)
    if not 1 <= rating <= 5:
        raise ValidationFailed(
            "The rating is 1 to 5", code=ProcedureErrorCode.RATING_INVALID, field="rating"
        )
    if dossier.status not in ("approved", "rejected"):
        raise_transition(dossier, "rated")
    result = session.execute(
        update(Dossier)
        .where(Dossier.id == dossier.id, Dossier.rating.is_(None))
        .values(rating=rating, rating_comment=comment.strip()[:500] or None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "This dossier is already rated", code=ProcedureErrorCode.RATING_TWICE, field="rating"
        )
    session.refresh(dossier)
    return dossier
