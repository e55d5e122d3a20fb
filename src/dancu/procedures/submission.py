"""Saving a draft and submitting a dossier, idempotent by the citizen's key: the form
prefilled from the registry and the wallet, the components still asked for uploaded, the
fee computed, the steps laid out with their deadlines in working days.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor
from dancu.common.errors import (
    Conflict,
    ErrorCode,
    Forbidden,
    InvalidState,
    ValidationFailed,
)
from dancu.db import utcnow
from dancu.procedures import catalogue, files, workdays
from dancu.procedures import repository as repo
from dancu.procedures.catalogue import Procedure
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.fees import fee_for
from dancu.procedures.files import Upload
from dancu.procedures.forms import clean_form
from dancu.procedures.models import DELIVERIES, Dossier, DossierFile, DossierStep
from dancu.procedures.prefill import Applicant, prefill
from dancu.procedures.schemas import FeeOptions
from dancu.procedures.workflow import local_today, transition

KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


def _valid_key(key: str) -> str:
    if KEY.fullmatch(key or "") is None:
        raise ValidationFailed(
            "The idempotency key is 8 to 64 letters, digits, - or _",
            code=ErrorCode.FORM_INVALID,
            field="idempotency_key",
        )
    return key


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
    attach_files(session, dossier.id, checked)
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


def attach_files(session: Session, dossier_id: int, checked: list[tuple[Upload, str]]) -> None:
    """Store each checked upload (content-addressed, outside the database) and attach it."""
    for up, kind in checked:
        stored = files.store(up, kind)
        session.add(
            DossierFile(
                dossier_id=dossier_id,
                component=stored.component,
                sha256=stored.sha256,
                size=stored.size,
                content_type=stored.content_type,
                file_name=stored.file_name,
            )
        )
