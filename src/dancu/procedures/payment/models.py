"""Fee payments: each gateway confirmation recorded once (its transaction is unique)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class FeePayment(Base):
    """A confirmed payment of a dossier's fee, as the gateway signed it."""

    __tablename__ = "procedure_fee_payment"
    __table_args__ = (
        UniqueConstraint("gateway", "transaction_id", name="uq_procedure_fee_payment_txn"),
        Index("ix_procedure_fee_payment_dossier", "dossier_code"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    gateway: Mapped[str] = mapped_column(String(40))
    transaction_id: Mapped[str] = mapped_column(String(80))
    dossier_code: Mapped[str] = mapped_column(String(64))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    body: Mapped[str] = mapped_column(Text)  # the signed JSON, kept as received
    signature: Mapped[str] = mapped_column(String(128))
