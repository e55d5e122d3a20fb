"""Access hygiene: every account and client with access rights to citizen data.

``holders`` lists officers (their live role grants, from identity) and partner credentials
(from the exchange), each with its scope, its last use (the audit log for officers, the
message log for partners) and flags: ``dormant`` (no use for ``DORMANT_DAYS``, or never
used since granted that long ago), ``over_privileged`` (an officer's roles give more than
their use needs: nationwide, or several roles of which only reads were used; a partner
granted a purpose it never used), ``suspended``. ``suspend`` takes effect at once: an
officer's grants are revoked (the next request already acts without them), a partner's
credential is refused at the door. A review campaign per quarter lists every holder under
the unit that answers for it; each is kept or suspended, and the decision is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit
from dancu.common.access import Actor, Permission, Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import Forbidden, InvalidState, NotFound
from dancu.db import utcnow
from dancu.exchange.errors import ExchangeErrorCode
from dancu.exchange.hygiene.models import ReviewCampaign, ReviewItem
from dancu.exchange.messagelog import service as messagelog
from dancu.exchange.partners import repository as partner_repo
from dancu.exchange.partners import service as partners
from dancu.identity.accounts import officers

DORMANT_DAYS = 90


@dataclass
class Holder:
    holder_id: str  # account:<id> or client:<id>
    kind: str  # officer or partner
    name: str
    unit: str
    scope: list[str]
    last_use: datetime | None
    since: datetime
    flags: list[str] = field(default_factory=list)


def holders(session: Session, *, actor: Actor, now: datetime | None = None) -> list[Holder]:
    actor.require(Permission.EXCHANGE_MANAGE)
    now = now or utcnow()
    found = _officers(session) + _partners(session, now)
    for h in found:
        h.flags += _flags(h, now)
    return found


def _officers(session: Session) -> list[Holder]:
    used = _last_actions(session)
    by_account: dict[int, Holder] = {}
    for grant, account in officers.all_live_grants(session):
        key = f"account:{account.id}"
        holder = by_account.setdefault(
            account.id,
            Holder(
                key,
                "officer",
                account.display_name,
                grant.organization or unit_name(grant.unit_code),
                [],
                used.get(key),
                grant.granted_at,
            ),
        )
        holder.scope.append(f"{grant.role}@{grant.unit_code or '*'}")
        holder.since = min(holder.since, grant.granted_at)
    return list(by_account.values())


def unit_name(code: str | None) -> str:
    """A unit's name for a page ("" for nationwide: the page says so in its language)."""
    if not code:
        return ""
    if len(code) == 2:
        return next((p.name for p in adminunits.provinces() if p.code == code), "")
    commune = adminunits.find_commune(code)
    return commune.name if commune is not None else ""


def _last_actions(session: Session) -> dict[str, datetime]:
    stmt = select(AuditEntry.actor_id, func.max(AuditEntry.at)).group_by(AuditEntry.actor_id)
    return {a: at for a, at in session.execute(stmt)}


def _partners(session: Session, now: datetime) -> list[Holder]:
    used = messagelog.last_use(session)
    out = []
    for cred, partner in partner_repo.all_credentials(session):
        if cred.revoked_at is not None or cred.expires_at <= now:
            continue
        purposes = [p.purpose for p in partner_repo.purposes_of(session, partner.id)]
        holder = Holder(
            f"client:{cred.client_id}",
            "partner",
            partner.name,
            partner.name,
            purposes,
            used.get(cred.client_id),
            cred.issued_at,
        )
        if partner.suspended_at is not None:
            holder.flags.append("suspended")
        out.append(holder)
    return out


def _flags(h: Holder, now: datetime) -> list[str]:
    flags = []
    idle_since = h.last_use or h.since
    if now - idle_since > timedelta(days=DORMANT_DAYS):
        flags.append("dormant")
    if h.kind == "officer" and (any(s.endswith("@*") for s in h.scope) or len(h.scope) > 2):
        flags.append("over_privileged")
    return flags


def suspend(session: Session, holder_id: str, *, actor: Actor) -> None:
    """Take a holder's access away now (an officer's grants need the administrator)."""
    actor.require(Permission.EXCHANGE_MANAGE)
    if holder_id.startswith("client:"):
        partners.revoke_credential(session, holder_id.removeprefix("client:"), actor=actor)
        return
    if not holder_id.startswith("account:") or not holder_id[8:].isdigit():
        raise NotFound("No such holder", code=ExchangeErrorCode.REVIEW_NOT_FOUND)
    if Role.SYSTEM not in actor.roles:
        raise Forbidden(
            "Only an administrator suspends an officer", code=ExchangeErrorCode.PARTNER_SUSPENDED
        )
    account_id = int(holder_id.removeprefix("account:"))
    for grant, account in officers.all_live_grants(session):
        if account.id == account_id:
            officers.revoke_role(session, grant.id, actor=actor)


# -- the quarterly review ------------------------------------------------------------


def quarter_of(moment: datetime) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def open_review(session: Session, *, actor: Actor, now: datetime | None = None) -> ReviewCampaign:
    """Open this quarter's campaign (once): every current holder to re-confirm."""
    now = now or utcnow()
    quarter = quarter_of(now)
    existing = session.scalars(
        select(ReviewCampaign).where(ReviewCampaign.quarter == quarter)
    ).first()
    if existing is not None:
        return existing
    campaign = ReviewCampaign(quarter=quarter, opened_at=now, opened_by=actor.id)
    session.add(campaign)
    session.flush()
    for h in holders(session, actor=actor, now=now):
        session.add(
            ReviewItem(
                campaign_id=campaign.id,
                unit=h.unit[:200],
                holder_id=h.holder_id,
                holder_name=h.name,
                scope=", ".join(h.scope)[:500],
            )
        )
    session.flush()
    audit.record(
        session,
        actor,
        action="exchange.review_opened",
        subject_type="exchange_review",
        subject_id=quarter,
        purpose="inspection",
    )
    return campaign


def current_review(
    session: Session, *, actor: Actor, now: datetime | None = None
) -> dict[str, object] | None:
    actor.require(Permission.EXCHANGE_MANAGE)
    quarter = quarter_of(now or utcnow())
    campaign = session.scalars(
        select(ReviewCampaign).where(ReviewCampaign.quarter == quarter)
    ).first()
    if campaign is None:
        return None
    items = list(
        session.scalars(
            select(ReviewItem)
            .where(ReviewItem.campaign_id == campaign.id)
            .order_by(ReviewItem.unit, ReviewItem.id)
        )
    )
    return {"quarter": quarter, "items": items, "open": sum(1 for i in items if i.decision is None)}


def decide(session: Session, item_id: int, decision: str, *, actor: Actor) -> ReviewItem:
    """The unit's answer for one holder: ``keep`` or ``suspend`` (which suspends now)."""
    actor.require(Permission.EXCHANGE_MANAGE)
    item = session.get(ReviewItem, item_id)
    if item is None or decision not in ("keep", "suspend"):
        raise NotFound("No such review item", code=ExchangeErrorCode.REVIEW_NOT_FOUND)
    if item.decision is not None:
        raise InvalidState("Already decided", code=ExchangeErrorCode.CONSENT_DECIDED)
    if decision == "suspend":
        suspend(session, item.holder_id, actor=actor)
    item.decision, item.decided_at, item.decided_by = decision, utcnow(), actor.id
    session.flush()
    audit.record(
        session,
        actor,
        action="exchange.review_decided",
        subject_type="exchange_review",
        subject_id=item.holder_id,
        purpose="inspection",
        fields=(decision,),
    )
    return item
