"""The message log's tables: entries, the chain's head, and the signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime

_SEQ = BigInteger().with_variant(Integer(), "sqlite")


class LogEntry(Base):
    """One request through the door and its answer (digests, never the personal data)."""

    __tablename__ = "exchange_message"
    __table_args__ = (
        Index(
            "ix_exchange_message_unsealed",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
        Index("ix_exchange_message_client", "client_id", "id"),
    )

    id: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    request_id: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(64))
    partner_code: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(60))
    fields: Mapped[list[str]] = mapped_column(JSON)
    request_digest: Mapped[str] = mapped_column(String(64))
    response_digest: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(_SEQ, unique=True, nullable=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class LogHead(Base):
    """The last sealed entry (one row, written by ``seal`` only)."""

    __tablename__ = "exchange_message_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(_SEQ, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class Checkpoint(Base):
    """A JWS by the platform's ``exchange_log`` key over the chain's head after a seal."""

    __tablename__ = "exchange_message_checkpoint"

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    signature: Mapped[str] = mapped_column(Text)
