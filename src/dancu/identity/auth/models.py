"""Passkey tables: the WebAuthn credentials of an account and the challenges handed out.

A challenge row is single-use (``used_at`` set by one conditional UPDATE) and bound to the
browser session that asked for it (``binding``, an opaque value kept in that session).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class Passkey(Base):
    """A WebAuthn public-key credential registered to an account."""

    __tablename__ = "passkey"
    __table_args__ = (Index("ix_passkey_account", "account_id", "removed_at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE_Key
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(60))
    aaguid: Mapped[str] = mapped_column(String(36), default="")
    transports: Mapped[str] = mapped_column(String(100), default="")
    backed_up: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PasskeyChallenge(Base):
    """A challenge sent to the browser for one ceremony ('register' or 'authenticate')."""

    __tablename__ = "passkey_challenge"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    challenge: Mapped[str] = mapped_column(String(100), unique=True)  # base64url
    ceremony: Mapped[str] = mapped_column(String(12))
    binding: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LoginThrottle(Base):
    """Failures counted per key: an HMAC of a scope and an identifier (``auth/throttle.py``).

    Sign-in keys are the typed ID number (account or not, so an unknown number is delayed
    exactly like a known one: ``locked_until`` is when its next try may come) and the
    client's address (failures in the window that began at ``window_started_at``;
    ``locked_until`` ends a block, ``lockouts`` counts blocks so each lasts longer). Codes
    and recovery keep per-account and per-number lock-outs.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    window_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoginSession(Base):
    """A signed-in browser: listed on My account and revocable."""

    __tablename__ = "login_session"
    __table_args__ = (
        Index("ix_login_session_account", "account_id", "revoked_at"),
        Index("ix_login_session_public_sid", "public_sid", unique=True),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The ``sid`` its ID tokens and OIDC tokens carry (``session.public_sid(id)``), stored so
    # a token's row finds its login session in the same statement (migration 0011).
    public_sid: Mapped[str | None] = mapped_column(String(32), nullable=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    amr: Mapped[list[str]] = mapped_column(JSON)
    step_up_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
