"""Bank transfers confirmed by the collecting account's statement (camt.053).

``import_statement`` reads the statement with the payments domain's ISO 20022 reader,
refuses it whole if it is not a valid camt.053 (``payments.file_malformed``), is for
another account (``payment.statement_account``) or not in đồng
(``payment.statement_currency``), then takes each entry in turn. A booked credit in VND
whose description names exactly one dossier of the officer's units (``vietqr.dossier_codes``)
that still owes exactly that amount pays it, through ``service.record_transfer``: the same
record, event, history and state as a gateway's confirmation. Anything else is never
guessed: the entry is kept with the reason (``errors.EntryOutcome``) for an officer to
review, and reported. Every entry is kept once per bank reference (AcctSvcrRef) under a
unique constraint, so a statement imported twice pays nothing twice and reports each entry
as a duplicate. An entry for another unit's dossier is reported but not kept, so that
unit's officer can import the same statement.
"""

from __future__ import annotations

import json
from datetime import datetime, time

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit
from dancu.common.access import Actor, Permission
from dancu.common.errors import DancuError, ValidationFailed
from dancu.db import utcnow
from dancu.payments import iso20022
from dancu.procedures.models import Dossier
from dancu.procedures.payment import repository as repo
from dancu.procedures.payment import service, vietqr
from dancu.procedures.payment.errors import EntryOutcome, PaymentErrorCode
from dancu.procedures.payment.models import BankStatement, StatementEntry
from dancu.procedures.payment.schemas import EntryOut, ImportOut, StatementOut
from dancu.procedures.workflow import VN_TZ
from dancu.settings import get_settings

MATCHED = repo.MATCHED
PURPOSE = "administrative_procedure"
NOT_DUE = ("draft", "withdrawn", "rejected")


def import_statement(session: Session, data: bytes, *, actor: Actor) -> ImportOut:
    """Match a statement's transfers to dossiers' fees; report what does not match."""
    actor.require(Permission.PROCEDURE_FEES)
    read = iso20022.read_statement(data)
    _check_account(read)
    row = BankStatement(
        message_id=read.message_id[:35],
        statement_id=read.statement_id[:35],
        account=read.account_id[:34],
        entries=len(read.entries),
        matched=0,
        imported_by=actor.id,
    )
    session.add(row)
    session.flush()
    codes = {e: vietqr.dossier_codes(e.text) for e in read.entries}
    found = repo.dossiers_by_code(session, (c for cs in codes.values() for c in cs))
    matched, problems = [], []
    for entry in read.entries:
        out = _take(session, row, entry, [found[c] for c in codes[entry] if c in found], actor)
        (matched if out.outcome == MATCHED else problems).append(out)
    row.matched = len(matched)
    session.flush()
    audit.record(
        session,
        actor,
        action="fee_statement.imported",
        subject_type="bank_statement",
        subject_id=str(row.id),
        purpose=PURPOSE,
        fields=("fee_state",),
    )
    return ImportOut(statement=StatementOut.model_validate(row), matched=matched, problems=problems)


def to_review(session: Session, *, actor: Actor) -> list[EntryOut]:
    """The entries of the officer's units that paid no dossier, newest first."""
    actor.require(Permission.PROCEDURE_FEES)
    return [EntryOut.model_validate(e) for e in repo.to_review(session, actor)]


def _check_account(read: iso20022.Statement) -> None:
    settings = get_settings()
    if read.account_id != settings.procedures_payee_account:
        raise ValidationFailed(
            "The statement is for another account than the one that collects the fees",
            code=PaymentErrorCode.STATEMENT_ACCOUNT,
            field="file",
        )
    if read.account_currency not in (None, iso20022.CURRENCY):
        raise ValidationFailed(
            "The statement's account is not in đồng (VND)",
            code=PaymentErrorCode.STATEMENT_CURRENCY,
            field="file",
        )


def _outcome(entry: iso20022.StatementEntry, named: list[Dossier], actor: Actor) -> str:
    """ "matched", or why the entry pays no dossier; checked in this order."""
    if not entry.credit or entry.reversal:
        return EntryOutcome.DEBIT
    if entry.status != "BOOK":
        return EntryOutcome.NOT_BOOKED
    if entry.reference is None:
        return EntryOutcome.NO_ID
    if entry.currency != iso20022.CURRENCY:
        return EntryOutcome.CURRENCY
    if not vietqr.dossier_codes(entry.text):
        return EntryOutcome.NO_REFERENCE
    if not named:
        return EntryOutcome.UNKNOWN_DOSSIER
    if len({d.id for d in named}) > 1:
        return EntryOutcome.AMBIGUOUS
    dossier = named[0]
    if not actor.covers(dossier.province_code, dossier.unit_code):
        return EntryOutcome.OUTSIDE_UNIT
    if dossier.fee_state == "paid":
        return EntryOutcome.ALREADY_PAID
    if dossier.fee_state != "unpaid" or dossier.status in NOT_DUE:
        return EntryOutcome.NOT_DUE
    if entry.amount != dossier.fee_amount:
        return EntryOutcome.AMOUNT
    return MATCHED


def _take(
    session: Session,
    statement: BankStatement,
    entry: iso20022.StatementEntry,
    named: list[Dossier],
    actor: Actor,
) -> EntryOut:
    """Keep the entry once, and pay its dossier when it matches."""
    outcome = _outcome(entry, named, actor)
    dossier = named[0] if len(named) == 1 else None
    kept = _kept(statement, entry, dossier, outcome, actor)
    if outcome == EntryOutcome.OUTSIDE_UNIT:
        kept.dossier_code = None  # another unit's dossier is not named to this officer
        return EntryOut.model_validate(kept)
    try:
        with session.begin_nested():
            session.add(kept)
            session.flush()
    except IntegrityError:
        kept.outcome = EntryOutcome.DUPLICATE
        return EntryOut.model_validate(kept)
    if outcome == MATCHED and dossier is not None and dossier.code:
        try:
            with session.begin_nested():
                _pay(session, statement, entry, dossier.code, actor)
        except DancuError:  # paid meanwhile (the dossier's conditional update lost)
            kept.outcome = EntryOutcome.ALREADY_PAID
            session.flush()
    return EntryOut.model_validate(kept)


def _pay(
    session: Session,
    statement: BankStatement,
    entry: iso20022.StatementEntry,
    code: str,
    actor: Actor,
) -> None:
    assert entry.reference is not None and entry.amount is not None
    booked = entry.booked_on
    paid_at = datetime.combine(booked, time(0), tzinfo=VN_TZ) if booked else utcnow()
    body = {
        "statement": statement.message_id,
        "account": statement.account,
        "reference": entry.reference,
        "amount": entry.amount,
        "booked_on": booked.isoformat() if booked else None,
        "description": entry.text,
    }
    service.record_transfer(
        session,
        code,
        entry.amount,
        reference=entry.reference,
        paid_at=paid_at,
        body=json.dumps(body, ensure_ascii=False, sort_keys=True),
        actor=actor,
    )


def _kept(
    statement: BankStatement,
    entry: iso20022.StatementEntry,
    dossier: Dossier | None,
    outcome: str,
    actor: Actor,
) -> StatementEntry:
    province, unit = (dossier.province_code, dossier.unit_code) if dossier else _area(actor)
    return StatementEntry(
        statement_id=statement.id,
        line=entry.line,
        account=statement.account,
        reference=entry.reference[:35] if entry.reference else None,
        amount=entry.amount,
        credit=entry.credit and not entry.reversal,
        booked_on=entry.booked_on,
        description=entry.text[:500],
        dossier_code=dossier.code if dossier else None,
        outcome=str(outcome),
        province_code=province,
        unit_code=unit,
    )


def _area(actor: Actor) -> tuple[str, str]:
    """Where an entry no dossier claims is kept: the importing officer's first unit."""
    if actor.nationwide:
        return "", ""
    unit = actor.units[0]
    if len(unit) == 2:
        return unit, unit
    commune = adminunits.find_commune(unit)
    return (commune.province_code if commune else ""), unit
