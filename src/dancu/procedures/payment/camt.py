"""A camt.053 account statement written as the collecting bank sends it: the demo's
simulated bank and the tests make one. Reading statements is the payments domain's
``iso20022.read_statement``; this only writes, and checks what it wrote against the
official XSD (``iso20022.validate_tree``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from lxml import etree

from dancu.payments import iso20022


@dataclass(frozen=True, slots=True)
class Movement:
    """One entry to write: a transfer in (or out, ``credit=False``) with its description."""

    reference: str | None  # AcctSvcrRef; None writes an entry without one
    amount: int
    text: str
    credit: bool = True
    currency: str = "VND"
    status: str = "BOOK"
    booked_on: date | None = None


@dataclass(frozen=True, slots=True)
class Part:
    """One statement (``Stmt``) of a message: an account, its movements, its identifier."""

    account: str
    movements: Sequence[Movement]
    statement_id: str
    currency: str = "VND"


def statement(
    account: str,
    movements: Sequence[Movement],
    *,
    message_id: str,
    created_at: datetime,
    currency: str = "VND",
    version: str = iso20022.CAMT_053,
) -> bytes:
    """A camt.053 (001.08 by default, or 001.02) with one statement of ``movements``."""
    part = Part(account, movements, message_id, currency)
    return message([part], message_id=message_id, created_at=created_at, version=version)


def message(
    parts: Sequence[Part],
    *,
    message_id: str,
    created_at: datetime,
    version: str = iso20022.CAMT_053,
) -> bytes:
    """A camt.053 message holding one statement per part, in order (a bank may send several
    accounts' or several days' statements in one message)."""
    ns = iso20022.NAMESPACES[version]
    sub = partial(_sub, ns)
    doc = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    body = sub(doc, "BkToCstmrStmt")
    sub(body, "GrpHdr/MsgId", message_id)
    sub(body[0], "CreDtTm", created_at.replace(microsecond=0).isoformat())
    for part in parts:
        _write_statement(sub, body, part, created_at, version)
    iso20022.validate_tree(doc, version)
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sub(
    ns: str, parent: etree._Element, path: str, text: str | None = None, **attrib: str
) -> etree._Element:
    node = parent
    for name in path.split("/"):
        node = etree.SubElement(node, f"{{{ns}}}{name}")
    node.attrib.update(attrib)
    if text is not None:
        node.text = text
    return node


def _write_statement(
    sub: Callable[..., etree._Element],
    body: etree._Element,
    part: Part,
    created_at: datetime,
    version: str,
) -> None:
    day, currency = created_at.date(), part.currency
    stmt = sub(body, "Stmt")
    sub(stmt, "Id", part.statement_id)
    sub(stmt, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    acct = sub(stmt, "Acct")
    sub(acct, "Id/Othr/Id", part.account)
    sub(acct, "Ccy", currency)
    balance = sub(stmt, "Bal")
    sub(balance, "Tp/CdOrPrtry/Cd", "CLBD")
    sub(balance, "Amt", str(sum(m.amount for m in part.movements if m.credit)), Ccy=currency)
    sub(balance, "CdtDbtInd", "CRDT")
    sub(balance, "Dt/Dt", day.isoformat())
    for m in part.movements:
        entry = sub(stmt, "Ntry")
        sub(entry, "Amt", str(m.amount), Ccy=m.currency)
        sub(entry, "CdtDbtInd", "CRDT" if m.credit else "DBIT")
        sub(entry, "Sts" if version == iso20022.CAMT_053_V2 else "Sts/Cd", m.status)
        sub(entry, "BookgDt/Dt", (m.booked_on or day).isoformat())
        if m.reference:
            sub(entry, "AcctSvcrRef", m.reference)
        code = sub(entry, "BkTxCd/Domn")
        sub(code, "Cd", "PMNT")
        family = sub(code, "Fmly")
        sub(family, "Cd", "RCDT" if m.credit else "ICDT")
        sub(family, "SubFmlyCd", "DMCT")
        details = sub(entry, "NtryDtls/TxDtls")
        sub(details, "RmtInf/Ustrd", m.text[:140])
