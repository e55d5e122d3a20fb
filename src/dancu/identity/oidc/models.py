"""Tables of the OpenID Connect provider and of the signing-key store.

Secrets are never stored in the clear: client secrets and refresh tokens are kept as
SHA-256 digests (they are long random strings, so a fast hash is enough), authorization
codes likewise; private signing keys are encrypted with a key derived from the settings'
secret key (see ``keys.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class OidcClient(Base):
    """A relying party registered with ``dancu identity client add``."""

    __tablename__ = "oidc_client"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # client_secret_basic (confidential), private_key_jwt (confidential), none (public)
    auth_method: Mapped[str] = mapped_column(String(30))
    secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    required_acr: Mapped[str | None] = mapped_column(String(40), nullable=True)
    fapi2: Mapped[bool] = mapped_column(Boolean, default=False)
    subject_type: Mapped[str] = mapped_column(String(10), default="pairwise")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Random, replaced by a trigger on every INSERT and UPDATE (migration 0020): what the
    # token endpoint's client cache checks its copy against (clients.py).
    version: Mapped[str] = mapped_column(String(32), server_default="0")


class AuthorizationCode(Base):
    """A one-time code; ``used_at`` is set by the exchange (a second use revokes its tokens)."""

    __tablename__ = "oidc_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(_ID)
    sid: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(500))
    nonce: Mapped[str | None] = mapped_column(String(200), nullable=True)
    code_challenge: Mapped[str | None] = mapped_column(String(128), nullable=True)
    code_challenge_method: Mapped[str | None] = mapped_column(String(10), nullable=True)
    dpop_jkt: Mapped[str | None] = mapped_column(String(64), nullable=True)
    auth_time: Mapped[int] = mapped_column(BigInteger)
    acr: Mapped[str] = mapped_column(String(40))
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    step_up_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OidcToken(Base):
    """An access token and its refresh token (digests); one ``family`` per authorization."""

    __tablename__ = "oidc_token"
    __table_args__ = (Index("ix_oidc_token_family", "family"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(_ID, nullable=True)
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    family: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    scope: Mapped[str] = mapped_column(String(500))
    token_type: Mapped[str] = mapped_column(String(10))
    jkt: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    acr: Mapped[str | None] = mapped_column(String(40), nullable=True)
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    auth_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    step_up_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PushedRequest(Base):
    """A pushed authorization request (RFC 9126), usable once before it expires."""

    __tablename__ = "oidc_par"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Consent(Base):
    """What an account let a client see; remembered until revoked."""

    __tablename__ = "oidc_consent"

    account_id: Mapped[int] = mapped_column(_ID, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SeenJti(Base):
    """JWT ids already accepted (DPoP proofs, client assertions), kept until they expire."""

    __tablename__ = "oidc_seen_jti"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(kind|issuer|jti)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ClientPartner(Base):
    """Who a client-credentials client acts as (one row per client, migration 0007)."""

    __tablename__ = "oidc_client_partner"

    client_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("oidc_client.client_id", ondelete="CASCADE"), primary_key=True
    )
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [] = nationwide; ``bind_partner`` stores it only when asked with ``nationwide=True``.
    units: Mapped[list[str]] = mapped_column(JSON, default=list)
    organization: Mapped[str] = mapped_column(String(200), default="")
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list)  # [] = none allowed
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
