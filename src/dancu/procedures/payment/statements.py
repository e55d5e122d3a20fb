"""Bank transfers confirmed by the collecting account's statement (camt.053).

``import_statement`` reads every statement of the message with the payments domain's ISO
20022 reader, refuses the message whole if it is not a valid camt.053
(``payments.file_malformed``) or if any statement is for another account
(``payment.statement_account``) or not in đồng (``payment.statement_currency``), then
takes each entry in turn. A booked credit in VND whose description names exactly one
dossier of the officer's units (``vietqr.dossier_codes``) that still owes exactly that
amount pays it, through ``pay_fee`` and ``service.record_transfer``: the same record,
event, history and state as a gateway's confirmation. Anything else is never guessed: the
entry is kept with the reason (``errors.EntryOutcome``) for an officer to settle
(``review.resolve``), and reported. Every entry is kept once per bank reference
(AcctSvcrRef), or, without one, once per ``entry_key`` (``_entry_keys``), under unique
constraints, so a statement imported twice pays nothing twice and reports each entry as a
duplicate; only an entry kept while pending and not settled is taken again when a later
statement shows it booked (``_booked_now``). A booked debit under the bank reference an
officer recorded for a refund is that refund (``payment.entry_refund``): kept, not for
review. An entry for another unit's dossier is reported but not kept, so that unit's
officer can import the same statement.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date, datetime, time

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
    """Match a statement's transfers to dossiers' fees; report what does not match. Every
    statement of the message is taken, in order; one of another account or currency refuses
    the whole message before anything is kept."""
    actor.require(Permission.PROCEDURE_FEES)
    reads = iso20022.read_statements(data)
    for read in reads:
        _check_account(read)
    entries = [e for read in reads for e in read.entries]
    codes = {e: vietqr.dossier_codes(e.text) for e in entries}
    found = repo.dossiers_by_code(session, (c for cs in codes.values() for c in cs))
    kept, matched, problems = [], [], []
    for read in reads:
        row = _statement_row(session, read, actor)
        kept.append(row)
        before = len(matched)
        for entry, key in zip(read.entries, _entry_keys(read), strict=True):
            named = [found[c] for c in codes[entry] if c in found]
            out = _take(session, row, entry, key, named, actor)
            (matched if out.outcome == MATCHED else problems).append(out)
        row.matched = len(matched) - before
    session.flush()
    for row in kept:
        audit.record(
            session,
            actor,
            action="fee_statement.imported",
            subject_type="bank_statement",
            subject_id=str(row.id),
            purpose=PURPOSE,
            fields=("fee_state",),
        )
    shown = [StatementOut.model_validate(row) for row in kept]
    return ImportOut(
        statement=shown[0],
        statements=shown,
        entries=len(entries),
        matched=matched,
        problems=problems,
    )


def _statement_row(session: Session, read: iso20022.Statement, actor: Actor) -> BankStatement:
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
    return row


def _entry_keys(read: iso20022.Statement) -> list[str | None]:
    """The identity of each entry without a bank reference (None for those with one): a hash
    of the statement's identifier and of what the entry says, with its rank among the
    statement's identical entries, so the same statement imported again gives the same keys
    (and two identical transfers of one statement two keys)."""
    seen: Counter[str] = Counter()
    keys: list[str | None] = []
    for e in read.entries:
        if e.reference is not None:
            keys.append(None)
            continue
        said = [
            read.account_id,
            read.statement_id,
            e.booked_on.isoformat() if e.booked_on else "",
            "" if e.amount is None else str(e.amount),
            e.currency or "",
            "C" if e.credit else "D",
            "R" if e.reversal else "",
            e.status,
            e.text,
        ]
        text = json.dumps(said, ensure_ascii=False)
        seen[text] += 1
        keys.append(hashlib.sha256(f"{text}#{seen[text]}".encode()).hexdigest())
    return keys


def to_review(session: Session, *, actor: Actor, decided: bool = False) -> list[EntryOut]:
    """The entries of the officer's units that paid no dossier and wait for a decision,
    newest first; with ``decided``, those an officer settled, latest decision first."""
    actor.require(Permission.PROCEDURE_FEES)
    rows = repo.decided(session, actor) if decided else repo.to_review(session, actor)
    return [EntryOut.model_validate(e) for e in rows]


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
    key: str | None,
    named: list[Dossier],
    actor: Actor,
) -> EntryOut:
    """Keep the entry once, and pay its dossier when it matches."""
    outcome = _outcome(entry, named, actor)
    if outcome == EntryOutcome.DEBIT and _a_recorded_refund(session, statement, entry):
        outcome = EntryOutcome.REFUND
    dossier = named[0] if len(named) == 1 else None
    kept = _kept(statement, entry, dossier, outcome, actor)
    kept.entry_key = key
    if outcome == EntryOutcome.OUTSIDE_UNIT:
        kept.dossier_code = None  # another unit's dossier is not named to this officer
        return EntryOut.model_validate(kept)
    try:
        with session.begin_nested():
            session.add(kept)
            session.flush()
    except IntegrityError:
        earlier = _booked_now(session, kept, entry)
        if earlier is None:
            kept.outcome = EntryOutcome.DUPLICATE
            kept.id = None  # type: ignore[assignment]  # not kept: the earlier one is
            return EntryOut.model_validate(kept)
        kept = earlier
    if outcome == MATCHED and dossier is not None and dossier.code:
        try:
            with session.begin_nested():
                _pay(session, statement, entry, dossier.code, actor)
        except DancuError:  # paid meanwhile (the dossier's conditional update lost)
            kept.outcome = EntryOutcome.ALREADY_PAID
            session.flush()
    return EntryOut.model_validate(kept)


def _a_recorded_refund(
    session: Session, statement: BankStatement, entry: iso20022.StatementEntry
) -> bool:
    """A booked debit (not a reversal) under the bank reference an officer recorded for the
    refund of a transfer under review: the refund itself, settled, not for review."""
    if entry.credit or entry.reversal or entry.status != "BOOK" or not entry.reference:
        return False
    return repo.refund_recorded(session, statement.account, entry.reference[:35])


def _booked_now(
    session: Session, kept: StatementEntry, entry: iso20022.StatementEntry
) -> StatementEntry | None:
    """The entry kept earlier under this bank reference while it was pending (not booked),
    now that a statement shows it booked: taken again, as it reads now (its outcome, its
    dossier, its unit), instead of being a duplicate that would never pay. An entry an
    officer already settled, or one that was booked, stays as it was (None)."""
    if entry.status != "BOOK" or kept.reference is None:
        return None
    earlier = repo.entry_by_reference(session, kept.account, kept.reference, for_update=True)
    if earlier is None or earlier.outcome != EntryOutcome.NOT_BOOKED or earlier.decision:
        return None
    for field in _RETAKEN:
        setattr(earlier, field, getattr(kept, field))
    session.flush()
    return earlier


_RETAKEN = (
    "statement_id",
    "line",
    "amount",
    "credit",
    "booked_on",
    "description",
    "dossier_code",
    "outcome",
    "province_code",
    "unit_code",
)


def _pay(
    session: Session,
    statement: BankStatement,
    entry: iso20022.StatementEntry,
    code: str,
    actor: Actor,
) -> None:
    assert entry.reference is not None and entry.amount is not None
    pay_fee(
        session,
        statement,
        code,
        reference=entry.reference,
        amount=entry.amount,
        booked_on=entry.booked_on,
        text=entry.text,
        actor=actor,
    )


def pay_fee(
    session: Session,
    statement: BankStatement,
    code: str,
    *,
    reference: str,
    amount: int,
    booked_on: date | None,
    text: str,
    actor: Actor,
) -> None:
    """Pay the dossier ``code``'s fee with a transfer of ``statement``: the one path of an
    exact match and of an officer's "apply" (``review.resolve``), through
    ``service.record_transfer`` (payment row, ``procedures.fee_paid``, ``mark_paid``)."""
    paid_at = datetime.combine(booked_on, time(0), tzinfo=VN_TZ) if booked_on else utcnow()
    body = {
        "statement": statement.message_id,
        "account": statement.account,
        "reference": reference,
        "amount": amount,
        "booked_on": booked_on.isoformat() if booked_on else None,
        "description": text,
    }
    service.record_transfer(
        session,
        code,
        amount,
        reference=reference,
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
