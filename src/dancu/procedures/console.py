"""The officer console: queues per agency and unit, locks, assignment, processing,
supplements (the clock stops), approval or refusal with a reason, and escalation of steps
whose deadline passed.

An officer sees the dossiers of their own units only (``repository.dossiers_of_units``) and
works the steps of their own agency (``AGENCIES_OF``). Every change is a conditional
UPDATE: the lock is taken only if free, lapsed or already the officer's; a transition only
from the state read (``service.transition``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from dancu.common import outbox
from dancu.common.access import Actor, Permission, Role
from dancu.common.bounds import page_offset
from dancu.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.procedures import assignment, bundles, catalogue, events, workdays
from dancu.procedures import repository as repo
from dancu.procedures.catalogue import AGENCIES
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.models import Dossier, DossierHistory, DossierStep
from dancu.procedures.schemas import QueueItem, QueuePage
from dancu.procedures.workflow import OPEN, local_today, raise_transition, transition
from dancu.settings import get_settings

MAX_PER_PAGE = 100
AGENCIES_OF: dict[Role, frozenset[str]] = {
    Role.POLICE: frozenset({"police"}),
    Role.PROCEDURE_OFFICER: frozenset(a for a in AGENCIES if a != "police"),
    Role.COMMUNE_LEADER: frozenset(AGENCIES),
    Role.SYSTEM: frozenset(AGENCIES),
}


def agencies_of(actor: Actor) -> frozenset[str]:
    found: set[str] = set()
    for role in actor.roles:
        found |= AGENCIES_OF.get(role, frozenset())
    return frozenset(found)


def _covers_step(actor: Actor, dossier: Dossier, step: DossierStep) -> bool:
    if actor.nationwide:
        return True
    if step.unit_code in actor.units:
        return True
    return dossier.province_code in actor.province_units


def queue(
    session: Session,
    actor: Actor,
    *,
    agency: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> QueuePage:
    """The open dossiers whose current step waits in one of the actor's agencies and units,
    the oldest deadline first."""
    actor.require(Permission.PROCEDURE_PROCESS)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    offset = page_offset(page, per_page, MAX_PER_PAGE)
    today = today or local_today()
    mine = agencies_of(actor)
    if agency:
        mine = mine & {agency}
    stmt = (
        select(Dossier, DossierStep)
        .join(
            DossierStep,
            and_(DossierStep.dossier_id == Dossier.id, DossierStep.seq == Dossier.current_step),
        )
        .where(Dossier.status.in_(OPEN), DossierStep.agency.in_(sorted(mine)))
    )
    if status:
        stmt = stmt.where(Dossier.status == status)
    if not actor.nationwide:
        stmt = stmt.where(
            or_(
                DossierStep.unit_code.in_(actor.units),
                Dossier.province_code.in_(actor.province_units),
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(DossierStep.due_on, Dossier.id).offset(offset).limit(per_page)
    ).all()
    cat = catalogue.catalogue()
    items = [
        QueueItem(
            code=d.code or "",
            procedure_code=d.procedure_code,
            procedure_name=(p.name if (p := cat.get(d.procedure_code)) else d.procedure_code),
            applicant_name=d.applicant_name,
            status=d.status,
            step=s.seq,
            agency=s.agency,
            unit_code=s.unit_code,
            due_on=s.due_on,
            late=s.due_on is not None and s.due_on < today and d.status != "supplement",
            locked_by=d.locked_by,
            assigned_to=d.assigned_to,
            fee_state=d.fee_state,
        )
        for d, s in rows
    ]
    return QueuePage(items=items, total=total, page=page, per_page=per_page)


def dossier_for(session: Session, actor: Actor, code: str) -> Dossier:
    """A dossier of the officer's units (404 outside them: reveal nothing)."""
    actor.require(Permission.PROCEDURE_PROCESS)
    dossier = repo.visible_by_code(session, actor, code)
    if dossier is None:
        raise NotFound("No such dossier", code=ProcedureErrorCode.DOSSIER_NOT_FOUND, field="code")
    return dossier


def current_step(session: Session, actor: Actor, dossier: Dossier) -> DossierStep:
    """The step waiting now, which must be the officer's agency and unit."""
    step = repo.step(session, dossier.id, dossier.current_step)
    if step is None:
        raise_transition(dossier, "processing")
    assert step is not None
    if step.agency not in agencies_of(actor):
        raise Forbidden(
            "This step belongs to another agency",
            code=ProcedureErrorCode.WRONG_AGENCY,
            agency=step.agency,
        )
    if not _covers_step(actor, dossier, step):
        raise Forbidden(
            "This step is handled by another unit",
            code=ProcedureErrorCode.OUTSIDE_UNIT,
            unit=step.unit_code,
        )
    return step


def _lapsed_before() -> Any:
    return utcnow() - timedelta(seconds=get_settings().procedures_lock_seconds)


def lock(session: Session, actor: Actor, code: str) -> Dossier:
    """Take the dossier for this officer: only if nobody holds it (or their lock lapsed)."""
    dossier = dossier_for(session, actor, code)
    if dossier.status not in OPEN:
        raise_transition(dossier, "processing")
    current_step(session, actor, dossier)
    result = session.execute(
        update(Dossier)
        .where(
            Dossier.id == dossier.id,
            Dossier.status.in_(OPEN),
            or_(
                Dossier.locked_by.is_(None),
                Dossier.locked_by == actor.id,
                Dossier.locked_at < _lapsed_before(),
            ),
        )
        .values(locked_by=actor.id, locked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(dossier)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if dossier.status not in OPEN:
            raise_transition(dossier, "processing")
        raise Conflict(
            "Another officer is working on this dossier",
            code=ProcedureErrorCode.LOCKED,
            field="code",
            locked_by=dossier.locked_by or "",
        )
    return dossier


def release(session: Session, actor: Actor, code: str) -> Dossier:
    dossier = dossier_for(session, actor, code)
    session.execute(
        update(Dossier)
        .where(Dossier.id == dossier.id, Dossier.locked_by == actor.id)
        .values(locked_by=None, locked_at=None)
        .execution_options(synchronize_session=False)
    )
    session.refresh(dossier)
    return dossier


def _held(session: Session, actor: Actor, code: str) -> tuple[Dossier, DossierStep]:
    """The dossier locked by this officer (taking the lock if free) and its current step."""
    dossier = lock(session, actor, code)
    return dossier, current_step(session, actor, dossier)


def assignable(session: Session, actor: Actor, code: str) -> list[assignment.OfficerChoice]:
    """The officers a leader may hand this dossier to (the console's select)."""
    actor.require(Permission.PROCEDURE_ASSIGN)
    return assignment.officers_for(session, dossier_for(session, actor, code), AGENCIES_OF)


def assign(session: Session, actor: Actor, code: str, officer_id: str) -> Dossier:
    """A leader hands the dossier to an officer of its unit and its step's agency (their
    queue shows it as theirs); anyone else is refused."""
    actor.require(Permission.PROCEDURE_ASSIGN)
    dossier = dossier_for(session, actor, code)
    choices = assignment.officers_for(session, dossier, AGENCIES_OF)
    if officer_id.strip() not in {o.id for o in choices}:
        raise ValidationFailed(
            "Choose an officer of this dossier's unit and agency",
            code=ProcedureErrorCode.OFFICER_UNKNOWN,
            field="officer_id",
        )
    if dossier.status not in OPEN:
        raise_transition(dossier, "processing")
    session.execute(
        update(Dossier)
        .where(Dossier.id == dossier.id, Dossier.status.in_(OPEN))
        .values(assigned_to=officer_id.strip())
        .execution_options(synchronize_session=False)
    )
    session.add(
        DossierHistory(
            dossier_id=dossier.id,
            actor_id=actor.id,
            action="assign",
            from_status=dossier.status,
            to_status=dossier.status,
            note=officer_id.strip(),
        )
    )
    session.flush()
    session.refresh(dossier)
    return dossier


def start(session: Session, actor: Actor, code: str) -> Dossier:
    """The officer begins the current step (received → processing)."""
    dossier, step = _held(session, actor, code)
    transition(
        session,
        dossier,
        to="processing",
        allowed_from=("submitted",),
        actor_id=actor.id,
        action="start",
        step=step.seq,
    )
    step.officer_id = actor.id
    session.flush()
    return dossier


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(
            "Give the reason", code=ProcedureErrorCode.REASON_REQUIRED, field="reason"
        )
    return text[:500]


def request_supplement(
    session: Session, actor: Actor, code: str, reason: str, *, today: date | None = None
) -> Dossier:
    """Ask the citizen for more: the clock stops until they answer; the lock is released."""
    text = _reason(reason)
    dossier, step = _held(session, actor, code)
    transition(
        session,
        dossier,
        to="supplement",
        allowed_from=("submitted", "processing"),
        actor_id=actor.id,
        action="request_supplement",
        note=text,
        step=step.seq,
        paused_on=today or local_today(),
        reason=text,
        locked_by=None,
        locked_at=None,
    )
    return dossier


def reject(session: Session, actor: Actor, code: str, reason: str) -> Dossier:
    text = _reason(reason)
    dossier, step = _held(session, actor, code)
    now = utcnow()
    transition(
        session,
        dossier,
        to="rejected",
        allowed_from=("submitted", "processing"),
        actor_id=actor.id,
        action="reject",
        note=text,
        step=step.seq,
        reason=text,
        decided_at=now,
        decided_by=actor.id,
        locked_by=None,
        locked_at=None,
    )
    step.status, step.finished_at, step.officer_id = "rejected", now, actor.id
    session.flush()
    return dossier


def approve(
    session: Session, actor: Actor, code: str, note: str = "", *, today: date | None = None
) -> Dossier:
    """Approve the current step: run its effect (a bundle's registry call), then either hand
    the dossier to the next agency's queue or, after the last step, issue the result."""
    dossier, step = _held(session, actor, code)
    if dossier.status not in ("submitted", "processing"):
        raise_transition(dossier, "approved")
    procedure = catalogue.get(dossier.procedure_code)
    today = today or local_today()
    now = utcnow()
    produced = bundles.on_step_approved(session, dossier, step, officer=actor, kind=procedure.kind)
    step.status, step.finished_at, step.officer_id = "done", now, actor.id
    step.on_time = step.due_on is None or today <= step.due_on
    step.outcome = {**step.outcome, **produced}
    result = {**dossier.result, **produced}
    nxt = repo.step(session, dossier.id, step.seq + 1)
    if nxt is not None:
        calendar = workdays.calendar_for(session, dossier.province_code)
        nxt.status, nxt.started_on = "active", today
        nxt.due_on = calendar.add(today, nxt.days)
        transition(
            session,
            dossier,
            to="submitted",
            allowed_from=("submitted", "processing"),
            actor_id=actor.id,
            action="step_done",
            note=note.strip()[:500] or None,
            step=step.seq,
            current_step=nxt.seq,
            result=result,
            locked_by=None,
            locked_at=None,
        )
        return dossier
    on_time = dossier.due_on is None or today <= dossier.due_on
    result["number"] = f"{dossier.code}/KQ"
    transition(
        session,
        dossier,
        to="approved",
        allowed_from=("submitted", "processing"),
        actor_id=actor.id,
        action="approve",
        note=note.strip()[:500] or None,
        step=step.seq,
        decided_at=now,
        decided_by=actor.id,
        on_time=on_time,
        result=result,
        result_digitized=True,
        locked_by=None,
        locked_at=None,
    )
    outbox.emit(
        session,
        events.RESULT_READY,
        {
            "dossier": dossier.code,
            "procedure": dossier.procedure_code,
            "pid": dossier.applicant_pid,
            "account_id": dossier.account_id,
            "credential": procedure.result_credential and dossier.delivery == "wallet",
            "delivery": dossier.delivery,
        },
    )
    session.flush()
    return dossier


def escalate_overdue(session: Session, *, today: date | None = None) -> int:
    """Mark every open step whose deadline passed (once) and announce it; returns how many.
    A dossier waiting for a supplement is not late: its clock is stopped."""
    today = today or local_today()
    rows = session.execute(
        select(DossierStep, Dossier)
        .join(Dossier, Dossier.id == DossierStep.dossier_id)
        .where(
            DossierStep.status == "active",
            DossierStep.escalated_at.is_(None),
            DossierStep.due_on < today,
            Dossier.status.in_(("submitted", "processing")),
        )
        .limit(1000)
    ).all()
    count = 0
    now = utcnow()
    for step, dossier in rows:
        won = session.execute(
            update(DossierStep)
            .where(DossierStep.id == step.id, DossierStep.escalated_at.is_(None))
            .values(escalated_at=now)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount != 1:  # type: ignore[attr-defined]
            continue
        count += 1
        outbox.emit(
            session,
            events.STEP_ESCALATED,
            {
                "dossier": dossier.code,
                "step": step.seq,
                "agency": step.agency,
                "unit": step.unit_code,
                "due_on": step.due_on.isoformat() if step.due_on else None,
            },
        )
        session.add(
            DossierHistory(
                dossier_id=dossier.id,
                at=now,
                actor_id="system:procedures",
                action="escalate",
                from_status=dossier.status,
                to_status=dossier.status,
                step=step.seq,
            )
        )
    session.flush()
    return count


def record_insurance_card(
    session: Session, code: str, card_number: str, *, actor: Actor
) -> Dossier:
    """The insurer's answer to ``procedures.insurance_card_requested``: completes the
    insurer's step of a birth bundle (the exchange domain's adapter calls it)."""
    dossier = repo.by_code(session, code)
    if dossier is None:
        raise NotFound("No such dossier", code=ProcedureErrorCode.DOSSIER_NOT_FOUND, field="code")
    step = repo.step(session, dossier.id, dossier.current_step)
    if step is None or step.agency != "social_insurance" or dossier.status not in OPEN:
        raise_transition(dossier, "approved")
    assert step is not None
    step.outcome = {**step.outcome, "insurance_number": card_number}
    session.flush()
    system = Actor(
        id=actor.id,
        name=actor.name,
        roles=frozenset({Role.SYSTEM}),
        units=(),
        organization=actor.organization,
    )
    return approve(session, system, code, note=card_number)
