"""Wallet tables: the credentials issued to accounts, and the status lists that revoke them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class StatusList(Base):
    """One Token Status List; ``next_index`` hands out its entries (one UPDATE each)."""

    __tablename__ = "wallet_status_list"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    next_index: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WalletCredential(Base):
    """An SD-JWT VC issued to an account; ``sd_jwt`` is the holder's copy (all disclosures)."""

    __tablename__ = "wallet_credential"
    __table_args__ = (UniqueConstraint("status_list_id", "status_index"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    credential_id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    citizen_pid: Mapped[str] = mapped_column(String(12), index=True)
    doc_type: Mapped[str] = mapped_column(String(40))
    vct: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    issuer_kid: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_list_id: Mapped[str] = mapped_column(ForeignKey("wallet_status_list.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    sd_jwt: Mapped[str] = mapped_column(Text)


class PresentationLink(Base):
    """A presentation the holder shows as a QR code, kept a few minutes under a short link.

    The QR holds ``/v/<token>`` instead of the whole SD-JWT; only the token's SHA-256 is
    stored, so the table alone opens no link. One live link per holder and document: making
    a new one replaces the previous (``links.make``); expired rows are purged as new ones
    are made. See docs/adr/0009-short-presentation-links.md.
    """

    __tablename__ = "wallet_presentation_link"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(40))
    citizen_pid: Mapped[str] = mapped_column(String(12))
    presentation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
