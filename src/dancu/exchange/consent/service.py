"""Consent: a partner asks a citizen to release more than its purpose's default fields.

The partner asks through the door (``ask``: fields among its purpose's consent-only ones,
a reason, a duration); the citizen approves or refuses it in their e-ID account
(``decide``) and may revoke an approval at any time (``revoke``), which takes effect at
the next request: ``require`` reads the approvals on every request that needs one. Each
request is a receipt: who asked, for what, why, until when, and the answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor
from dancu.common.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.exchange.consent import repository as repo
from dancu.exchange.consent.models import ConsentRequest
from dancu.exchange.consent.schemas import ConsentAskIn, ConsentReceipt
from dancu.exchange.errors import ExchangeErrorCode
from dancu.exchange.partners.schemas import PartnerContext
from dancu.registry import service as registry

_C = ExchangeErrorCode


def require(session: Session, ctx: PartnerContext, pid: str, *, now: datetime) -> frozenset[str]:
    """The consent-only fields this request asked for and the citizen approved; refuses
    (403 ``exchange.consent_required``) when one is not approved, revoked or expired."""
    needed = ctx.needs_consent
    if not needed:
        return frozenset()
    approved = repo.approved_fields(session, ctx.partner_id, pid, ctx.purpose, now)
    if missing := sorted(needed - approved):
        raise Forbidden(
            f"The citizen has not consented to release {missing[0]!r}",
            code=_C.CONSENT_REQUIRED,
            field="fields",
            value=missing[0],
        )
    return frozenset(needed)


def ask(session: Session, ctx: PartnerContext, data: ConsentAskIn) -> ConsentReceipt:
    """A partner's request, waiting for the citizen's answer (the citizen must exist)."""
    if outside := sorted(set(data.fields) - ctx.consent_fields):
        raise Forbidden(
            f"{outside[0]!r} cannot be asked for with consent under this purpose",
            code=_C.FIELD_NOT_ALLOWED,
            field="fields",
            value=outside[0],
        )
    registry.read_for_release(session, data.pid, actor=ctx.actor, purpose=ctx.purpose)
    row = ConsentRequest(
        partner_id=ctx.partner_id,
        pid=data.pid,
        purpose=ctx.purpose,
        fields=sorted(set(data.fields)),
        reason=data.reason,
        days=data.days,
        status="pending",
        requested_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        ctx.actor,
        action="exchange.consent_requested",
        subject_type="citizen",
        subject_id=data.pid,
        purpose=ctx.purpose,
        fields=row.fields,
    )
    return _receipt(row, ctx.partner_name)


def receipt_for_partner(session: Session, ctx: PartnerContext, consent_id: int) -> ConsentReceipt:
    found = repo.one(session, consent_id)
    if found is None or found[0].partner_id != ctx.partner_id:
        raise NotFound("No such consent request", code=_C.CONSENT_NOT_FOUND)
    return _receipt(*found)


def of_citizen(session: Session, pid: str) -> list[ConsentReceipt]:
    """The citizen's requests and receipts (``pid`` from the signed-in account only)."""
    return [_receipt(c, name) for c, name in repo.of_citizen(session, pid)]


def receipt_for_citizen(session: Session, pid: str, consent_id: int) -> ConsentReceipt:
    found = repo.one(session, consent_id)
    if found is None or found[0].pid != pid:
        raise NotFound("No such consent request", code=_C.CONSENT_NOT_FOUND)
    return _receipt(*found)


def decide(
    session: Session,
    pid: str,
    consent_id: int,
    *,
    approve: bool,
    actor: Actor,
    now: datetime | None = None,
) -> ConsentReceipt:
    """The citizen's answer to a pending request (once)."""
    now = now or utcnow()
    current = receipt_for_citizen(session, pid, consent_id)
    values: dict[str, object] = {"status": "approved" if approve else "refused", "decided_at": now}
    if approve:
        values["valid_until"] = now + timedelta(days=_days(session, consent_id))
    if not repo.transition(session, consent_id, pid, "pending", **values):
        raise InvalidState("The request was already answered", code=_C.CONSENT_DECIDED)
    _audit(session, actor, pid, "exchange.consent_" + str(values["status"]), current)
    return receipt_for_citizen(session, pid, consent_id)


def revoke(
    session: Session, pid: str, consent_id: int, *, actor: Actor, now: datetime | None = None
) -> ConsentReceipt:
    """Withdraw an approval: the partner's next request is refused."""
    now = now or utcnow()
    current = receipt_for_citizen(session, pid, consent_id)
    if not repo.transition(session, consent_id, pid, "approved", status="revoked", revoked_at=now):
        raise InvalidState("Only an approved consent can be revoked", code=_C.CONSENT_DECIDED)
    _audit(session, actor, pid, "exchange.consent_revoked", current)
    return receipt_for_citizen(session, pid, consent_id)


def _days(session: Session, consent_id: int) -> int:
    found = repo.one(session, consent_id)
    if found is None:
        raise ValidationFailed("No such consent request", code=_C.CONSENT_NOT_FOUND)
    return found[0].days


def _audit(session: Session, actor: Actor, pid: str, action: str, receipt: ConsentReceipt) -> None:
    audit.record(
        session,
        actor,
        action=action,
        subject_type="citizen",
        subject_id=pid,
        purpose="citizen_request",
        fields=receipt.fields,
    )


def _receipt(row: ConsentRequest, partner: str) -> ConsentReceipt:
    return ConsentReceipt(
        id=row.id,
        partner=partner,
        purpose=row.purpose,
        fields=list(row.fields),
        reason=row.reason,
        status=row.status,
        requested_at=row.requested_at,
        decided_at=row.decided_at,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
    )
