"""Citizens' dossiers: draft, submit (idempotent), supplement, withdraw, rate, delivery,
the fee's state (``mark_paid`` for the payment adapter), and the status every page reads.

State changes go through ``transition``: one conditional UPDATE on (id, status, version)
that only one caller can win, a history row and a ``procedures.dossier_status_changed``
outbox event (the citizen's notifications hang off it), all in the caller's transaction.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common import audit, outbox
from dancu.common.access import Actor
from dancu.common.errors import (
    Conflict,
    ErrorCode,
    Forbidden,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from dancu.db import utcnow
from dancu.procedures import catalogue, events, files, workdays
from dancu.procedures import repository as repo
from dancu.procedures.catalogue import Procedure
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.files import Upload
from dancu.procedures.models import DELIVERIES, Dossier, DossierFile, DossierHistory, DossierStep
from dancu.procedures.prefill import Applicant, prefill
from dancu.procedures.schemas import DossierOut, FeeOptions, FileOut, HistoryOut, StepOut

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PID = re.compile(r"\d{12}")
MAX_VALUE = 500
KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
OPEN = ("submitted", "processing", "supplement")
FINAL = ("approved", "rejected", "withdrawn")


def local_today() -> date:
    return utcnow().astimezone(VN_TZ).date()


# --- the catalogue's rules applied to one form ------------------------------------------------


def parse_date(value: str) -> date | None:
    text = value.strip().replace(".", "/").replace("-", "/")
    parts = text.split("/")
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        if len(parts) == 3 and len(parts[2]) == 4:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None
    return None


def clean_form(procedure: Procedure, form: dict[str, str], *, partial: bool) -> dict[str, str]:
    """The procedure's fields from ``form``, trimmed and checked (a draft may leave required
    ones empty); refuses the first broken field by its key."""
    out: dict[str, str] = {}
    for field in procedure.fields:
        value = (form.get(field.key) or "").strip()
        if not value:
            if field.required and not partial:
                raise ValidationFailed(
                    f"{field.key} is required",
                    code=ProcedureErrorCode.FIELD_REQUIRED,
                    field=field.key,
                )
            continue
        bad = len(value) > MAX_VALUE or any(ord(ch) < 32 for ch in value)
        if field.type == "date":
            bad = bad or parse_date(value) is None
        elif field.type == "number":
            bad = bad or not value.isdigit() or len(value) > 15
        elif field.type == "pid":
            bad = bad or PID.fullmatch(value) is None
        elif field.type == "sex":
            bad = bad or value not in ("M", "F")
        if bad:
            raise ValidationFailed(
                f"{field.key} is not valid", code=ProcedureErrorCode.FIELD_INVALID, field=field.key
            )
        out[field.key] = value
    return out


def fee_for(
    procedure: Procedure, options: FeeOptions, *, channel: str, form: dict[str, str]
) -> int:
    """The fee in VND: online or counter amount (per copy when it is charged so), plus the
    chosen extras; a reduced category replaces it, an exemption makes it nothing."""
    fee = procedure.fee
    if options.reduction and options.reduction in fee.exemptions:
        return 0
    amount = procedure.fee_online if channel in ("online", "npsp") else fee.amount
    if options.reduction and options.reduction in fee.reduced:
        amount = fee.reduced[options.reduction]
    if fee.per_copy is not None and form.get("copies", "").isdigit():
        amount = fee.per_copy * max(1, int(form["copies"]))
    extras = {c.key: c.amount for c in fee.choices}
    for choice in options.choices:
        if choice not in extras:
            raise ValidationFailed(
                "Unknown fee choice", code=ProcedureErrorCode.FIELD_INVALID, field="fee_choices"
            )
        amount += extras[choice]
    return amount


def _valid_key(key: str) -> str:
    if KEY.fullmatch(key or "") is None:
        raise ValidationFailed(
            "The idempotency key is 8 to 64 letters, digits, - or _",
            code=ErrorCode.FORM_INVALID,
            field="idempotency_key",
        )
    return key


# --- the state machine ------------------------------------------------------------------------


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


# --- the citizen's side -----------------------------------------------------------------------


def _require_level(procedure: Procedure, applicant: Applicant) -> None:
    if applicant.level < procedure.acr:
        raise Forbidden(
            "This procedure needs a level-2 sign-in",
            code=ProcedureErrorCode.LEVEL_REQUIRED,
            level=procedure.acr,
        )


def _check_uploads(uploads: list[Upload], asked: list[str]) -> list[tuple[Upload, str]]:
    checked = []
    for up in uploads:
        if up.component not in asked:
            continue  # a component the data already proves: nothing to keep
        checked.append((up, files.check(up)))
    return checked


def save(
    session: Session,
    applicant: Applicant,
    procedure_code: str,
    form: dict[str, str],
    uploads: list[Upload],
    *,
    key: str,
    delivery: str = "wallet",
    fee_options: FeeOptions | None = None,
    submit: bool = False,
    channel: str = "online",
    today: date | None = None,
) -> Dossier:
    """Save the draft (``submit`` False) or submit the dossier. The same ``key`` again
    returns the dossier already submitted under it (a double click, a retried request)."""
    procedure = catalogue.get(procedure_code)
    _require_level(procedure, applicant)
    key = _valid_key(key)
    existing = repo.by_key(session, applicant.pid, key)
    if existing is not None and existing.procedure_code != procedure.code:
        raise Conflict(
            "This idempotency key was already used for another request",
            code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
            field="idempotency_key",
        )
    if existing is not None and existing.status != "draft":
        if submit:
            return existing  # the same submission again: the same dossier
        raise InvalidState(
            "The dossier is already submitted",
            code=ProcedureErrorCode.ALREADY_SUBMITTED,
            field="idempotency_key",
        )
    if delivery not in DELIVERIES:
        raise ValidationFailed(
            "Choose how the result returns",
            code=ProcedureErrorCode.DELIVERY_INVALID,
            field="delivery",
        )
    data = prefill(session, procedure, applicant, today=today)
    merged = {**data.values, **{k: v for k, v in form.items() if v and v.strip()}}
    clean = clean_form(procedure, merged, partial=not submit)
    options = fee_options or FeeOptions()
    amount = fee_for(procedure, options, channel=channel, form=clean)
    checked = _check_uploads(uploads, data.asked)
    have = {f.component for f in repo.files_of(session, existing.id)} if existing else set()
    have |= {up.component for up, _ in checked}
    if submit:
        for key_ in data.asked:
            comp = procedure.component(key_)
            if comp is not None and comp.required and key_ not in have:
                raise ValidationFailed(
                    f"The component {key_} is missing",
                    code=ProcedureErrorCode.COMPONENT_MISSING,
                    field=f"file_{key_}",
                )
    # Every check passed: from here on, write.
    dossier = existing or _new_draft(session, applicant, procedure, key, data, channel)
    dossier.form = {**clean, "_fee": options.model_dump()}
    dossier.reused = [r.model_dump() for r in data.reused]
    dossier.asked = data.asked
    dossier.delivery = delivery
    dossier.fee_amount = amount
    dossier.updated_at = utcnow()
    for up, kind in checked:
        stored = files.store(up, kind)
        session.add(
            DossierFile(
                dossier_id=dossier.id,
                component=stored.component,
                sha256=stored.sha256,
                size=stored.size,
                content_type=stored.content_type,
                file_name=stored.file_name,
            )
        )
    session.flush()
    if submit:
        _submit(session, dossier, procedure, applicant.actor, today=today or local_today())
    return dossier


def _new_draft(
    session: Session,
    applicant: Applicant,
    procedure: Procedure,
    key: str,
    data: Any,
    channel: str,
) -> Dossier:
    dossier = Dossier(
        procedure_code=procedure.code,
        applicant_pid=applicant.pid,
        account_id=applicant.account_id,
        applicant_name=applicant.name,
        province_code=data.province_code,
        unit_code=data.handling_unit,
        channel=channel,
        status="draft",
        version=1,
        idempotency_key=key,
        form={},
        reused=[],
        asked=[],
        result={},
    )
    session.add(dossier)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # the same key, committed by a concurrent request
        raise Conflict(
            "A request with this idempotency key is already being processed",
            code=ErrorCode.IDEMPOTENCY_IN_PROGRESS,
            field="idempotency_key",
        ) from exc
    return dossier


def _submit(
    session: Session, dossier: Dossier, procedure: Procedure, actor: Actor, *, today: date
) -> None:
    calendar = workdays.calendar_for(session, dossier.province_code)
    code = f"{dossier.unit_code}-{today:%y%m%d}{dossier.id:06d}"
    first = procedure.steps[0]
    transition(
        session,
        dossier,
        to="submitted",
        allowed_from=("draft",),
        actor_id=actor.id,
        action="submit",
        step=1,
        code=code,
        submitted_at=utcnow(),
        received_on=today,
        due_on=calendar.add(today, procedure.days),
        current_step=1,
        fee_state="unpaid" if dossier.fee_amount > 0 else "none",
    )
    for seq, step in enumerate(procedure.steps, start=1):
        session.add(
            DossierStep(
                dossier_id=dossier.id,
                seq=seq,
                agency=step.agency,
                unit_code=_step_unit(dossier, step.agency),
                days=step.days,
                status="active" if seq == 1 else "waiting",
                started_on=today if seq == 1 else None,
                due_on=calendar.add(today, first.days) if seq == 1 else None,
                outcome={},
            )
        )
    audit.record(
        session,
        actor,
        action="procedure.submitted",
        subject_type="citizen",
        subject_id=dossier.applicant_pid,
        purpose="administrative_procedure",
        fields=sorted(k for k in dossier.form if not k.startswith("_")),
    )
    session.flush()


def _step_unit(dossier: Dossier, agency: str) -> str:
    """The insurer answers at the province; every other agency where the dossier is handled."""
    return dossier.province_code if agency == "social_insurance" else dossier.unit_code


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
    for up, kind in checked:
        stored = files.store(up, kind)
        session.add(
            DossierFile(
                dossier_id=dossier.id,
                component=stored.component,
                sha256=stored.sha256,
                size=stored.size,
                content_type=stored.content_type,
                file_name=stored.file_name,
            )
        )
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


# --- the fee ----------------------------------------------------------------------------------


def mark_paid(
    session: Session, dossier_code: str, amount: int, reference: str, *, actor: Actor
) -> Dossier:
    """Record a confirmed payment (the payment adapter calls this once it has checked the
    gateway's signature): the dossier must exist, owe a fee, and ``amount`` must be exactly
    the fee. Paying twice with the same reference is a no-op; another reference, a 409."""
    dossier = repo.by_code(session, dossier_code)
    if dossier is None:
        raise NotFound(
            "No such dossier", code=ProcedureErrorCode.DOSSIER_NOT_FOUND, field="dossier"
        )
    if dossier.fee_state == "paid":
        if dossier.paid_reference == reference and dossier.paid_amount == amount:
            return dossier
        raise Conflict(
            "The dossier is already paid", code=ProcedureErrorCode.PAYMENT_NOT_DUE, field="dossier"
        )
    if dossier.fee_state != "unpaid" or dossier.status in ("draft", "withdrawn", "rejected"):
        raise InvalidState(
            "This dossier owes no fee", code=ProcedureErrorCode.PAYMENT_NOT_DUE, field="dossier"
        )
    if amount != dossier.fee_amount:
        raise ValidationFailed(
            "The amount paid is not the fee",
            code=ProcedureErrorCode.PAYMENT_AMOUNT,
            field="amount",
            expected=dossier.fee_amount,
        )
    now = utcnow()
    result = session.execute(
        update(Dossier)
        .where(Dossier.id == dossier.id, Dossier.fee_state == "unpaid")
        .values(fee_state="paid", paid_amount=amount, paid_reference=reference[:80], paid_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "The dossier is already paid", code=ProcedureErrorCode.PAYMENT_NOT_DUE, field="dossier"
        )
    session.add(
        DossierHistory(
            dossier_id=dossier.id,
            at=now,
            actor_id=actor.id,
            action="paid",
            from_status=dossier.status,
            to_status=dossier.status,
            note=reference[:500],
        )
    )
    session.flush()
    session.refresh(dossier)
    return dossier


# --- reading ----------------------------------------------------------------------------------


def describe(session: Session, dossier: Dossier, *, full: bool = True) -> DossierOut:
    out = DossierOut.model_validate(dossier)
    found = catalogue.catalogue().get(dossier.procedure_code)
    out.procedure_name = found.name if found else dossier.procedure_code
    out.form = {k: v for k, v in dossier.form.items() if not k.startswith("_")}
    if full:
        out.steps = [StepOut.model_validate(s) for s in repo.steps_of(session, dossier.id)]
        out.files = [FileOut.model_validate(f) for f in repo.files_of(session, dossier.id)]
        out.history = [HistoryOut.model_validate(h) for h in repo.history_of(session, dossier.id)]
    return out


def late(dossier: Dossier, today: date) -> bool:
    return (
        dossier.status in OPEN
        and dossier.status != "supplement"
        and dossier.due_on is not None
        and dossier.due_on < today
    )


def decided_on_time(dossier: Dossier, when: datetime) -> bool:
    local = when.astimezone(VN_TZ).date()
    return dossier.due_on is None or local <= dossier.due_on
