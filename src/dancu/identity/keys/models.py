"""The signing-key store's table: keys sealed at rest, one current key per purpose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow


class SigningKey(Base):
    """One asymmetric signing key; at most one current (not retiring) key per purpose."""

    __tablename__ = "signing_key"
    __table_args__ = (
        Index(
            "uq_signing_key_current",
            "purpose",
            unique=True,
            postgresql_where=text("retires_at IS NULL"),
            sqlite_where=text("retires_at IS NULL"),
        ),
    )

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    alg: Mapped[str] = mapped_column(String(10))
    private_key: Mapped[str] = mapped_column(Text)  # AES-GCM sealed PEM, base64
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when a newer key replaces this one: it still verifies until then, signs no more.
    retires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
