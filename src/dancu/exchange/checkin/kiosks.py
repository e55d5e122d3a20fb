"""Kiosks: self-service check-in devices of a hospital partner.

How a kiosk authenticates: an administrator registers the kiosk for a hospital partner
(``dancu exchange kiosk add``), which prints a one-time enrolment secret; on the kiosk,
the enrolment page takes the secret and stores it in an HttpOnly, SameSite=Strict cookie
(``dancu_kiosk``) for a year. Every kiosk request presents it; the platform keeps only its
SHA-256 digest, and revoking the kiosk (or suspending its partner) refuses it at once. The
kiosk acts as its partner for ``health_checkin`` only and releases only what a check-in
screen needs (name, birth date, sex, whether the insurance card is valid here).
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor, Permission
from dancu.common.errors import NotAuthenticated
from dancu.db import utcnow
from dancu.exchange.checkin import repository as repo
from dancu.exchange.checkin.models import Kiosk
from dancu.exchange.errors import ExchangeErrorCode
from dancu.exchange.partners import service as partners
from dancu.exchange.partners.schemas import PartnerContext

COOKIE = "dancu_kiosk"
KIOSK_FIELDS = ("full_name", "birth_date", "sex", "insurance_valid")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add_kiosk(session: Session, partner_code: str, name: str, *, actor: Actor) -> tuple[Kiosk, str]:
    """Register a kiosk of a hospital partner; returns it and its secret (shown once)."""
    actor.require(Permission.EXCHANGE_MANAGE)
    partner = partners.get_partner(session, partner_code)
    secret = secrets.token_urlsafe(32)
    kiosk = Kiosk(partner_id=partner.id, name=name[:100], secret_hash=_digest(secret))
    session.add(kiosk)
    session.flush()
    audit.record(
        session,
        actor,
        action="exchange.kiosk_added",
        subject_type="exchange_partner",
        subject_id=partner.code,
        purpose="data_maintenance",
        fields=(f"kiosk:{kiosk.id}",),
    )
    return kiosk, secret


def revoke_kiosk(session: Session, kiosk_id: int, *, actor: Actor) -> None:
    actor.require(Permission.EXCHANGE_MANAGE)
    kiosk = session.get(Kiosk, kiosk_id)
    if kiosk is not None and kiosk.revoked_at is None:
        kiosk.revoked_at = utcnow()
        session.flush()


def kiosk_of(session: Session, secret: str | None) -> Kiosk:
    """The live kiosk a cookie names; 401 ``exchange.kiosk_unknown`` otherwise."""
    kiosk = repo.kiosk_by_secret(session, _digest(secret)) if secret else None
    if kiosk is None:
        raise NotAuthenticated(
            "This device is not an enrolled kiosk", code=ExchangeErrorCode.KIOSK_UNKNOWN
        )
    return kiosk


def context(session: Session, kiosk: Kiosk) -> PartnerContext:
    """The kiosk acting for its partner, for a check-in, with the kiosk's fields."""
    return partners.device_context(
        session, kiosk.partner_id, str(kiosk.id), "health_checkin", KIOSK_FIELDS
    )
