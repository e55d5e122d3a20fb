"""Beneficiaries: a commune officer enrols, suspends, resumes or ends (with a reason); an
officer of the province approves or rejects (maker-checker: never the maker). Every
proposal reads the citizen from the registry (audited) and checks the programme's rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit
from dancu.common.access import Actor, Permission
from dancu.common.bounds import page_offset
from dancu.common.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.payments import area, programmes
from dancu.payments import repository as repo
from dancu.payments.errors import PaymentsErrorCode
from dancu.payments.mapper import AccountDirectory, FinancialAddress, verify_account
from dancu.payments.models import Beneficiary, BeneficiaryChange, Category
from dancu.payments.schemas import BeneficiaryOut, ChangeIn, ChangeOut, EnrolIn, PendingChangeOut
from dancu.registry import service as registry
from dancu.registry.schemas import CitizenOut

MAX_PER_PAGE = 100
# What each approved action does to the beneficiary: (status before, status after).
TRANSITIONS = {
    "enrol": ("proposed", "active"),
    "suspend": ("active", "suspended"),
    "resume": ("suspended", "active"),
    "end": (None, "ended"),
}


def check_citizen(
    citizen: CitizenOut | Mapping[str, Any], category: Category, commune_code: str, on: date
) -> None:
    """The registry's facts (a record, or a row of the bulk read) against the programme's
    rules: alive, living in the commune, the category's ages."""
    facts = citizen if isinstance(citizen, Mapping) else citizen.model_dump()
    if facts["status"] != "alive":
        raise ValidationFailed(
            "The registry records this citizen as deceased",
            code=PaymentsErrorCode.CITIZEN_DECEASED,
            field="pid",
        )
    if facts["commune_code"] != commune_code:
        raise ValidationFailed(
            "The citizen's permanent residence is not in this commune",
            code=PaymentsErrorCode.CITIZEN_MOVED,
            field="pid",
        )
    age = programmes.age_on(facts["birth_date"], on)
    if (category.min_age is not None and age < category.min_age) or (
        category.max_age is not None and age >= category.max_age
    ):
        raise ValidationFailed(
            f"Aged {age}, outside the category's ages",
            code=PaymentsErrorCode.AGE_RULE,
            field="category",
            age=age,
        )


def enrol(
    session: Session,
    data: EnrolIn,
    *,
    actor: Actor,
    directory: AccountDirectory | None = None,
    today: date | None = None,
    source: str = "form",
    source_ref: str | None = None,
) -> BeneficiaryOut:
    """Propose a citizen for a programme (status ``proposed`` until the province approves)."""
    actor.require(Permission.BENEFICIARY_MANAGE)
    today = today or date.today()
    unit = area.commune(actor, data.commune_code)
    programme = programmes.get_programme(session, data.programme)
    category = programmes.get_category(session, programme, data.category)
    citizen = registry.get_citizen(session, data.pid, actor=actor, purpose=area.PURPOSE)
    check_citizen(citizen, category, unit.code, today)
    account = None
    if data.bank_code or data.account_id:
        account = verify_account(
            directory, data.bank_code, data.account_id, citizen.pid, consent=data.consent
        )
    row = create(
        session,
        programme_id=programme.id,
        category=category,
        pid=citizen.pid,
        full_name=citizen.full_name,
        unit=unit,
        account=account,
        reason=data.reason,
        actor=actor,
        source=source,
        source_ref=source_ref,
    )
    return BeneficiaryOut.model_validate(row)


def create(
    session: Session,
    *,
    programme_id: int,
    category: Category,
    pid: str,
    full_name: str,
    unit: adminunits.Commune,
    account: FinancialAddress | None,
    reason: str,
    actor: Actor,
    source: str,
    source_ref: str | None,
) -> Beneficiary:
    """The checked proposal: the row, its pending enrolment, its audit entry."""
    row = Beneficiary(
        programme_id=programme_id,
        category_code=category.code,
        pid=pid,
        full_name=full_name,
        province_code=unit.province_code,
        commune_code=unit.code,
        status="proposed",
        channel="bank" if account else "cash",
        bank_code=account.bank_code if account else None,
        account_id=account.account_id if account else None,
        account_holder=(account.holder_name or full_name) if account else None,
        account_verified_at=utcnow() if account else None,
        consent_at=utcnow() if account else None,
        source=source,
        source_ref=source_ref,
        reason=reason,
        created_by=actor.id,
    )
    _insert_once(session, row)
    _propose(session, row, "enrol", reason or "enrolment", actor)
    audit.record(
        session,
        actor,
        action="beneficiary.enrol",
        subject_type="citizen",
        subject_id=pid,
        purpose=area.PURPOSE,
        fields=("programme", "category", "commune", "account"),
    )
    return row


def _insert_once(session: Session, row: Beneficiary) -> None:
    """Insert, refusing a second enrolment of the citizen in the programme (a constraint)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "This citizen is already a beneficiary of this programme",
            code=PaymentsErrorCode.ENROLLED_TWICE,
            field="pid",
        ) from None


def _propose(
    session: Session, row: Beneficiary, action: str, reason: str, actor: Actor
) -> BeneficiaryChange:
    change = BeneficiaryChange(
        beneficiary_id=row.id,
        action=action,
        reason=reason,
        status="pending",
        made_by=actor.id,
        made_by_name=actor.name,
    )
    try:
        with session.begin_nested():
            session.add(change)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "A proposal for this beneficiary already waits for the province",
            code=PaymentsErrorCode.CHANGE_PENDING,
            field="action",
        ) from None
    return change


def _visible(session: Session, actor: Actor, beneficiary_id: int) -> Beneficiary:
    row = repo.beneficiary(session, actor, beneficiary_id)
    if row is None:
        raise NotFound(
            "No such beneficiary in your area",
            code=PaymentsErrorCode.BENEFICIARY_NOT_FOUND,
            field="beneficiary_id",
        )
    return row


def propose_change(
    session: Session, beneficiary_id: int, data: ChangeIn, *, actor: Actor
) -> ChangeOut:
    """Suspend, resume or end a beneficiary, with a reason; the province decides."""
    actor.require(Permission.BENEFICIARY_MANAGE)
    if not data.reason.strip():
        raise ValidationFailed(
            "Give a reason", code=PaymentsErrorCode.REASON_REQUIRED, field="reason"
        )
    row = _visible(session, actor, beneficiary_id)
    before, _ = TRANSITIONS[data.action]
    if (before is not None and row.status != before) or row.status in ("ended", "refused"):
        raise InvalidState(
            f"A {row.status} beneficiary cannot be given '{data.action}'",
            code=PaymentsErrorCode.CHANGE_TRANSITION,
            field="action",
        )
    change = _propose(session, row, data.action, data.reason.strip(), actor)
    audit.record(
        session,
        actor,
        action=f"beneficiary.{data.action}_proposed",
        subject_type="citizen",
        subject_id=row.pid,
        purpose=area.PURPOSE,
        fields=("status",),
    )
    return ChangeOut.model_validate(change)


def decide(session: Session, change_id: int, *, approve: bool, actor: Actor) -> ChangeOut:
    """The province approves or rejects a proposal; the maker may not decide their own."""
    actor.require(Permission.BENEFICIARY_APPROVE)
    found = repo.change(session, actor, change_id)
    if found is None:
        raise NotFound(
            "No such proposal in your area",
            code=PaymentsErrorCode.CHANGE_NOT_FOUND,
            field="change_id",
        )
    change, row = found
    area.province(actor, row.province_code)
    if change.made_by == actor.id:
        raise Forbidden(
            "A proposal is decided by another officer than the one who made it",
            code=PaymentsErrorCode.SAME_OFFICER,
            field="change_id",
        )
    decided = session.execute(
        update(BeneficiaryChange)
        .where(BeneficiaryChange.id == change.id, BeneficiaryChange.status == "pending")
        .values(
            status="approved" if approve else "rejected", decided_by=actor.id, decided_at=utcnow()
        )
    ).rowcount
    if not decided:
        raise InvalidState(
            "This proposal was already decided", code=PaymentsErrorCode.CHANGE_TRANSITION
        )
    if approve:
        _apply(session, row, change, actor)
    elif change.action == "enrol":
        row.status = "refused"
    session.flush()
    session.refresh(change)
    audit.record(
        session,
        actor,
        action=f"beneficiary.{change.action}_{'approved' if approve else 'rejected'}",
        subject_type="citizen",
        subject_id=row.pid,
        purpose=area.PURPOSE,
        fields=("status",),
    )
    return ChangeOut.model_validate(change)


def _apply(session: Session, row: Beneficiary, change: BeneficiaryChange, actor: Actor) -> None:
    before, after = TRANSITIONS[change.action]
    stmt = update(Beneficiary).where(Beneficiary.id == row.id)
    if before is not None:
        stmt = stmt.where(Beneficiary.status == before)
    values = {"status": after, "reason": change.reason, "updated_at": utcnow()}
    if change.action == "enrol":
        values["approved_by"] = actor.id
    if not session.execute(stmt.values(**values)).rowcount:
        raise InvalidState(
            "The beneficiary changed meanwhile", code=PaymentsErrorCode.CHANGE_TRANSITION
        )
    session.refresh(row)


def list_beneficiaries(
    session: Session,
    *,
    actor: Actor,
    programme: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[BeneficiaryOut], int]:
    """The beneficiaries of the actor's area (a list of personal data: audited)."""
    actor.require(Permission.BENEFICIARY_READ)
    offset = page_offset(page, per_page, MAX_PER_PAGE)
    programme_id = programmes.get_programme(session, programme).id if programme else None
    rows, total = repo.list_beneficiaries(
        session, actor, programme_id=programme_id, status=status, offset=offset, limit=per_page
    )
    audit.record_many(
        session,
        actor,
        action="beneficiary.listed",
        subject_type="citizen",
        subject_ids=[r.pid for r in rows],
        purpose=area.PURPOSE,
        fields=("full_name", "programme", "status", "account"),
    )
    return [BeneficiaryOut.model_validate(r) for r in rows], total


def pending(session: Session, *, actor: Actor) -> list[PendingChangeOut]:
    """Proposals waiting for a decision in the actor's area."""
    actor.require(Permission.BENEFICIARY_READ)
    return [
        PendingChangeOut(
            change=ChangeOut.model_validate(c), beneficiary=BeneficiaryOut.model_validate(b)
        )
        for c, b in repo.pending_changes(session, actor)
    ]
