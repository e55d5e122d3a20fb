"""A simulated bank network and a simulated post office, for development and tests only.

They are real in-process components, not mocks: the bank answers the mapper's questions by
a fixed rule, reads a pain.001 file (validated against its XSD like a bank would), pays or
rejects each transfer, and answers with a pain.002 status report and a camt.054 debit
notification; the post office pays a postal list against signatures. ``app.py`` installs the
network only while development sign-in is on; production configures the banks' mapper.

The rule: at bank ``B`` (a NAPAS code) the account ``prefix(B) + pid`` belongs to the
citizen with that ID number; accounts in ``closed`` reject credits (reason AC04, "closed
account").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime

from lxml import etree

from dancu.payments import iso20022
from dancu.payments.mapper import FinancialAddress
from dancu.payments.schemas import Receipt

BANKS: dict[str, tuple[str, str]] = {
    "970405": ("Agribank", "10"),
    "970436": ("Vietcombank", "20"),
}
_ids = itertools.count(1)


@dataclass
class BankNetwork:
    """Every simulated bank, behind one mapper."""

    closed: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # pid -> holder name, if known

    def account_of(self, pid: str, bank_code: str = "970405") -> str:
        return BANKS[bank_code][1] + pid

    def lookup(self, bank_code: str, account_id: str) -> FinancialAddress | None:
        if bank_code not in BANKS:
            return None
        prefix = BANKS[bank_code][1]
        pid = account_id[len(prefix) :]
        if not account_id.startswith(prefix) or len(pid) != 12 or not pid.isdigit():
            return None
        return FinancialAddress(bank_code, account_id, pid, self.names.get(pid, ""))

    def resolve(self, pid: str) -> list[FinancialAddress]:
        return [a for code in BANKS if (a := self.lookup(code, self.account_of(pid, code)))]

    def bank_name(self, bank_code: str) -> str | None:
        entry = BANKS.get(bank_code)
        return entry[0] if entry else None

    def banks(self) -> dict[str, str]:
        return {code: name for code, (name, _) in BANKS.items()}

    def execute(self, pain001: bytes, *, booked_on: date) -> tuple[bytes, bytes]:
        """Pay a credit-transfer file: (pain.002 status report, camt.054 notification)."""
        iso20022.validate(pain001, iso20022.PAIN_001)
        root = etree.fromstring(pain001)
        ns = {"p": iso20022.NAMESPACES[iso20022.PAIN_001]}
        msg_id = root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=ns)
        debtor = root.findtext(".//p:DbtrAcct/p:Id/p:Othr/p:Id", namespaces=ns) or ""
        results = []
        for tx in root.iterfind(".//p:CdtTrfTxInf", namespaces=ns):
            e2e = tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns) or ""
            amount = int(tx.findtext("p:Amt/p:InstdAmt", namespaces=ns) or "0")
            account = tx.findtext("p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=ns) or ""
            ok = account not in self.closed
            results.append(
                iso20022.TxResult(e2e, amount, "ACSC" if ok else "RJCT", None if ok else "AC04")
            )
        now = datetime.now().astimezone()
        report = iso20022.status_report(f"SIM-STS-{next(_ids):06d}", msg_id or "", results, now)
        booked = [r for r in results if r.status == "ACSC"]
        notice = iso20022.debit_notification(
            f"SIM-NTF-{next(_ids):06d}", debtor, booked, booked_on, now
        )
        return report, notice


@dataclass
class PostOffice:
    """Pays a postal list at the counter or at home; ``absent`` ID numbers never come."""

    absent: set[str] = field(default_factory=set)

    def pay(self, lines: list[dict[str, str]], *, paid_on: date) -> list[Receipt]:
        return [
            Receipt(
                line["end_to_end_id"],
                None if line["pid"] in self.absent else line["full_name"],
                paid_on,
            )
            for line in lines
        ]
