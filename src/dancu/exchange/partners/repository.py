"""Queries of the partners sub-package."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dancu.exchange.partners.models import Credential, Partner, PartnerPurpose

_C, _P, _PP = Credential.__table__, Partner.__table__, PartnerPurpose.__table__
# One statement per exchange request: the credential, its partner and the asked purpose.
_DOOR = (
    select(
        _C.c.client_id,
        _C.c.expires_at,
        _C.c.rotated_at,
        _C.c.revoked_at,
        _P.c.id.label("partner_id"),
        _P.c.code,
        _P.c.name,
        _P.c.kind,
        _P.c.facility_code,
        _P.c.rate_per_minute,
        _P.c.suspended_at,
        _PP.c.fields,
        _PP.c.consent_fields,
        _PP.c.rate_per_minute.label("purpose_rate"),
    )
    .select_from(
        _C.join(_P, _P.c.id == _C.c.partner_id).outerjoin(
            _PP, (_PP.c.partner_id == _P.c.id) & (_PP.c.purpose == bindparam("purpose"))
        )
    )
    .where(_C.c.client_id == bindparam("client_id"))
)


def door_row(session: Session, client_id: str, purpose: str):  # type: ignore[no-untyped-def]
    params = {"client_id": client_id, "purpose": purpose}
    return session.connection().execute(_DOOR, params).first()


def partner_by_code(session: Session, code: str) -> Partner | None:
    return session.scalars(select(Partner).where(Partner.code == code)).first()


def partner_by_id(session: Session, partner_id: int) -> Partner | None:
    return session.get(Partner, partner_id)


def partners(session: Session) -> list[Partner]:
    return list(session.scalars(select(Partner).order_by(Partner.kind, Partner.name)))


def purposes_of(session: Session, partner_id: int) -> list[PartnerPurpose]:
    stmt = select(PartnerPurpose).where(PartnerPurpose.partner_id == partner_id)
    return list(session.scalars(stmt.order_by(PartnerPurpose.purpose)))


def purpose_row(session: Session, partner_id: int, purpose: str) -> PartnerPurpose | None:
    return session.get(PartnerPurpose, (partner_id, purpose))


def credentials_of(session: Session, partner_id: int) -> list[Credential]:
    stmt = select(Credential).where(Credential.partner_id == partner_id)
    return list(session.scalars(stmt.order_by(Credential.issued_at)))


def credential(session: Session, client_id: str) -> Credential | None:
    return session.get(Credential, client_id)


def all_credentials(session: Session) -> list[tuple[Credential, Partner]]:
    stmt = select(Credential, Partner).join(Partner, Partner.id == Credential.partner_id)
    return [(c, p) for c, p in session.execute(stmt.order_by(Partner.name, Credential.issued_at))]
