"""Short presentation links: what the wallet's QR code holds instead of the whole SD-JWT.

A holder's presentation (the fields they chose to disclose) is kept server-side for
``LIFETIME`` under a random token of 128 bits; the QR code holds ``<base>/v/<token>``, a
few dozen characters (at most 41 modules a side, against ~137 for the SD-JWT itself). A
verifier who opens the link gets the presentation verified as if pasted, and the fetch is
written to the holder's access log. Only the token's SHA-256 is stored. Decision and
trade-offs: docs/adr/0009-short-presentation-links.md.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor
from dancu.common.errors import NotFound
from dancu.db import utcnow
from dancu.identity.errors import IdentityErrorCode
from dancu.identity.wallet.models import PresentationLink, WalletCredential

LIFETIME = timedelta(minutes=5)
PATH = "/v/"  # the short route: /v/<token>
TOKEN_BYTES = 16  # 128 bits: 22 URL-safe characters
VERIFIER = Actor(id="public:verifier", name="Verifier (QR link)", organization="")


@dataclass(frozen=True, slots=True)
class Link:
    token: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make(
    session: Session,
    credential: WalletCredential,
    presentation: str,
    *,
    now: datetime | None = None,
) -> Link:
    """Keep ``presentation`` of the holder's ``credential`` under a new token; the holder's
    previous link for this document, and every expired link, are deleted."""
    now = now or utcnow()
    session.execute(delete(PresentationLink).where(PresentationLink.expires_at <= now))
    session.execute(
        delete(PresentationLink).where(
            PresentationLink.account_id == credential.account_id,
            PresentationLink.credential_id == credential.credential_id,
        )
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = PresentationLink(
        token_hash=_hash(token),
        account_id=credential.account_id,
        credential_id=credential.credential_id,
        citizen_pid=credential.citizen_pid,
        presentation=presentation,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(link)
    session.flush()
    return Link(token=token, expires_at=link.expires_at)


def fetch(session: Session, token: str, *, now: datetime | None = None) -> str:
    """The presentation behind a live link, the fetch written to the holder's access log;
    NotFound alike for an unknown and an expired token."""
    now = now or utcnow()
    row = session.scalars(
        select(PresentationLink).where(
            PresentationLink.token_hash == _hash(token), PresentationLink.expires_at > now
        )
    ).first()
    if row is None:
        raise NotFound(
            "This QR code has expired: ask the holder to show it again",
            code=IdentityErrorCode.WALLET_LINK_EXPIRED,
            field="token",
        )
    audit.record(
        session,
        VERIFIER,
        action="wallet.link_fetched",
        subject_type="citizen",
        subject_id=row.citizen_pid,
        purpose="verification",
        fields=[row.credential_id],
    )
    return row.presentation


def token_of(text: str, base: str) -> str | None:
    """The token of a short link pasted in the verify form (``<base>/v/<token>``), or None."""
    for prefix in (f"{base}{PATH}", PATH):
        if text.startswith(prefix):
            token = text[len(prefix) :].strip("/")
            return token if 0 < len(token) <= 64 and token.isascii() else None
    return None
