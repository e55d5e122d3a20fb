"""Fee payments: each gateway confirmation or bank transfer recorded once (its transaction
is unique), and the bank statements imported with each of their entries kept once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dancu.db import Base, UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer(), "sqlite")


class FeePayment(Base):
    """A confirmed payment of a dossier's fee, as the gateway signed it, or a transfer
    matched on the bank's statement (``gateway`` "bank_transfer", ``transaction_id`` the
    bank's entry reference, ``body`` the entry's XML, no signature)."""

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


class BankStatement(Base):
    """A camt.053 statement of the collecting account, as an officer imported it."""

    __tablename__ = "procedure_bank_statement"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(35))
    statement_id: Mapped[str] = mapped_column(String(35))
    account: Mapped[str] = mapped_column(String(34))
    entries: Mapped[int] = mapped_column(Integer)
    matched: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(80))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


DECISIONS = ("apply", "refund", "ignore")


class StatementEntry(Base):
    """One entry of an imported statement, kept once per bank reference (or, for an entry
    without one, once per ``entry_key``: a hash of what the entry says within its
    statement): ``outcome`` is "matched" (it paid ``dossier_code``) or the code of why it
    waits for an officer's review. The unit is the dossier's, or the importing officer's
    when no dossier fits. An officer settles an entry under review once (``decision``:
    applied to the dossier ``applied_to``, refunded to the payer, or ignored), with who,
    when and why (migration 0025)."""

    __tablename__ = "procedure_statement_entry"
    __table_args__ = (
        UniqueConstraint("account", "reference", name="uq_procedure_statement_entry_ref"),
        UniqueConstraint("account", "entry_key", name="uq_procedure_statement_entry_key"),
        CheckConstraint("decision IN ('apply', 'refund', 'ignore')", name="decision"),
        Index("ix_procedure_statement_entry_review", "province_code", "outcome"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("procedure_bank_statement.id"))
    line: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(String(34))
    reference: Mapped[str | None] = mapped_column(String(35), nullable=True)  # AcctSvcrRef
    amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    credit: Mapped[bool] = mapped_column(Boolean)
    booked_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    description: Mapped[str] = mapped_column(String(500))
    dossier_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome: Mapped[str] = mapped_column(String(40))
    province_code: Mapped[str] = mapped_column(String(2))
    unit_code: Mapped[str] = mapped_column(String(5))
    entry_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(10), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decided_by_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    refund_reference: Mapped[str | None] = mapped_column(String(35), nullable=True)
    applied_to: Mapped[str | None] = mapped_column(String(32), nullable=True)
