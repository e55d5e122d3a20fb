"""VietQR transfers confirmed by the collecting account's camt.053 statement: an exact
transfer pays the dossier as a gateway's confirmation does; anything else is reported and
kept for review, never guessed; a bad file is refused whole and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import DancuError
from dancu.common.outbox import OutboxEvent
from dancu.db import utcnow
from dancu.payments import iso20022
from dancu.procedures import figures
from dancu.procedures import service as dossiers
from dancu.procedures.demo import seed_procedures_demo
from dancu.procedures.models import Dossier, DossierHistory
from dancu.procedures.payment import camt, events, gateway, service, statements, vietqr
from dancu.procedures.payment.errors import EntryOutcome, PaymentErrorCode
from dancu.procedures.payment.models import BankStatement, FeePayment, StatementEntry
from dancu.web.i18n import translate
from tests.conftest import COMMUNE, PROVINCE, make_actor
from tests.procedures.helpers import TODAY, citizen_with_account, key
from tests.registry.factories import person

MARITAL_STATUS = "1.004873"  # a commune's certificate with a fee of 15,000 đ
ACCOUNT = "1122334455"  # the settings' collecting account
OTHER_COMMUNE = "24124"
NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def finance(units: tuple[str, ...] = (COMMUNE,)):
    return make_actor(Role.FINANCE_OFFICER, units=units, name="Kế toán")


def unpaid(session, name: str = "Trần Thị Bình", *, commune: str = COMMUNE):
    _c, applicant = citizen_with_account(session, name)
    dossier = dossiers.save(
        session,
        applicant,
        MARITAL_STATUS,
        {"purpose": "Kết hôn"},
        [],
        key=key(),
        submit=True,
        today=TODAY,
    )
    if commune != COMMUNE:  # the dossier handled by another commune of the province
        dossier.unit_code = commune
        session.flush()
    assert (dossier.fee_state, dossier.fee_amount) == ("unpaid", 15000)
    return dossier


def statement(*movements: camt.Movement, account: str = ACCOUNT, **kw) -> bytes:
    return camt.statement(account, movements, message_id="STMT-0001", created_at=NOW, **kw)


def pay(dossier, reference: str = "FT26061000001", amount: int = 15000, text: str = ""):
    text = (
        text or f"MBVCB.5234567890.{vietqr.reference(dossier.code)}.CT tu 0123456789 TRAN THI BINH"
    )
    return camt.Movement(reference, amount, text, booked_on=date(2026, 3, 2))


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_an_exact_transfer_pays_the_dossier_as_a_gateway_confirmation_does(session):
    by_bank, by_gateway = unpaid(session), unpaid(session, "Lê Văn Cường")
    result = statements.import_statement(session, statement(pay(by_bank)), actor=finance())
    body, signature = gateway.simulated().sign(
        gateway.Confirmation(gateway.SIMULATED, "TXN-1", by_gateway.code, 15000, utcnow())
    )
    service.confirm_for_dossier(session, gateway.simulated(), by_gateway.code, body, signature)

    assert [(e.dossier_code, e.outcome) for e in result.matched] == [(by_bank.code, "matched")]
    assert result.problems == [] and result.statement.matched == 1
    for dossier in (by_bank, by_gateway):
        session.refresh(dossier)
        assert (dossier.fee_state, dossier.paid_amount) == ("paid", 15000)
    assert by_bank.paid_reference == "bank_transfer:FT26061000001"
    paid = session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == events.FEE_PAID).order_by(OutboxEvent.id)
    ).all()
    assert [e.payload for e in paid] == [
        {"dossier_code": by_bank.code, "amount_vnd": 15000, "gateway": "bank_transfer",
         "transaction_id": "FT26061000001"},
        {"dossier_code": by_gateway.code, "amount_vnd": 15000, "gateway": "simulated",
         "transaction_id": "TXN-1"},
    ]  # fmt: skip
    actions = session.scalars(
        select(DossierHistory.action).where(DossierHistory.dossier_id == by_bank.id)
    ).all()
    assert actions.count("paid") == 1
    assert service.paid_amount(session, by_bank.code) == 15000
    fig = figures.figures(
        session, finance(), unit=COMMUNE, period_from=date(2026, 1, 1), period_to=date(2026, 12, 31)
    )
    assert fig.fees_collected == 30000


@pytest.mark.parametrize(
    "text",
    [
        "MBVCB.5234567890.{ref}.CT tu 0123456789 TRAN THI BINH toi 1122334455",
        "{ref_lower} nop le phi",
        "Nộp lệ phí hồ sơ {code} - Trần Thị Bình",
        "HS {unit} {number} chuyển khoản",
        "IBFT HS-{unit}-{number}",
    ],
)
def test_the_reference_survives_what_bank_apps_do_to_it(session, text):
    dossier = unpaid(session)
    unit, number = dossier.code.split("-")
    ref = vietqr.reference(dossier.code)
    described = text.format(
        ref=ref, ref_lower=ref.lower(), code=dossier.code, unit=unit, number=number
    )
    result = statements.import_statement(
        session, statement(pay(dossier, text=described)), actor=finance()
    )
    assert [e.outcome for e in result.matched] == ["matched"], described


def test_the_vietqr_carries_the_reference_the_statement_is_matched_by(session):
    dossier = unpaid(session)
    ref = vietqr.reference(dossier.code)
    assert ref == "HS" + dossier.code.replace("-", "") and len(ref) <= 25
    assert vietqr.tlv("08", ref) in vietqr.payload("970415", ACCOUNT, 15000, ref)
    assert dossier.code in vietqr.dossier_codes(ref)


def outcomes(result) -> list[tuple[str | None, str]]:
    return [(e.reference, e.outcome) for e in [*result.matched, *result.problems]]


def test_what_does_not_match_exactly_is_reported_and_kept_never_guessed(session):
    right, wrong, other, closed = (
        unpaid(session, n) for n in ("A An", "B Bình", "C Cúc", "D Dũng")
    )
    closed.status = "withdrawn"
    session.flush()
    data = statement(
        pay(right, "R1"),
        pay(right, "R2"),  # the citizen paid twice
        pay(wrong, "R3", amount=1500),
        camt.Movement("R4", 15000, "chuyen tien an trua"),
        camt.Movement("R5", 15000, "HS24121260302999999"),
        pay(other, "R6", text=f"{vietqr.reference(other.code)} {vietqr.reference(right.code)}"),
        camt.Movement("R7", 15000, "phi ngan hang", credit=False),
        camt.Movement("R8", 15000, "x", status="PDNG"),
        pay(other, None),
        pay(closed, "R9"),
    )
    result = statements.import_statement(session, data, actor=finance())
    assert outcomes(result) == [
        ("R1", "matched"),
        ("R2", EntryOutcome.ALREADY_PAID),
        ("R3", EntryOutcome.AMOUNT),
        ("R4", EntryOutcome.NO_REFERENCE),
        ("R5", EntryOutcome.UNKNOWN_DOSSIER),
        ("R6", EntryOutcome.AMBIGUOUS),
        ("R7", EntryOutcome.DEBIT),
        ("R8", EntryOutcome.NOT_BOOKED),
        (None, EntryOutcome.NO_ID),
        ("R9", EntryOutcome.NOT_DUE),
    ]
    for dossier in (wrong, other, closed):
        session.refresh(dossier)
        assert dossier.fee_state != "paid"
    assert count(session, FeePayment) == 1
    review = statements.to_review(session, actor=finance())
    assert sorted(e.reference or "" for e in review) == ["", *(f"R{i}" for i in range(2, 10))]
    assert statements.to_review(session, actor=finance(units=(OTHER_COMMUNE,))) == []


def test_a_statement_imported_twice_pays_nothing_twice(session):
    dossier = unpaid(session)
    data = statement(pay(dossier, "R1"), camt.Movement("R2", 15000, "no reference here"))
    statements.import_statement(session, data, actor=finance())
    again = statements.import_statement(session, data, actor=finance())
    assert outcomes(again) == [("R1", EntryOutcome.DUPLICATE), ("R2", EntryOutcome.DUPLICATE)]
    assert again.problems[0].dossier_code == dossier.code
    assert (count(session, FeePayment), count(session, StatementEntry)) == (1, 2)
    assert count(session, BankStatement) == 2


def test_another_units_dossier_is_left_for_that_units_officer(session):
    dossier = unpaid(session, commune=OTHER_COMMUNE)
    data = statement(pay(dossier, "R1"))
    mine = statements.import_statement(session, data, actor=finance())
    assert outcomes(mine) == [("R1", EntryOutcome.OUTSIDE_UNIT)]
    assert mine.problems[0].dossier_code is None  # another unit's dossier is not named
    session.refresh(dossier)
    assert dossier.fee_state == "unpaid" and count(session, StatementEntry) == 0
    theirs = statements.import_statement(session, data, actor=finance(units=(OTHER_COMMUNE,)))
    assert outcomes(theirs) == [("R1", "matched")]
    province = statements.import_statement(session, data, actor=finance(units=(PROVINCE,)))
    assert outcomes(province) == [("R1", EntryOutcome.DUPLICATE)]


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">&x;</Document>"""


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "payments.file_malformed"),
        (b"%PDF-1.4 not xml", "payments.file_malformed"),
        (XXE, "payments.file_malformed"),
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'/>",
         "payments.file_malformed"),
        ("camt054", "payments.file_malformed"),
        ("other-account", PaymentErrorCode.STATEMENT_ACCOUNT),
        ("usd", PaymentErrorCode.STATEMENT_CURRENCY),
    ],
)  # fmt: skip
def test_a_bad_statement_is_refused_whole_and_changes_nothing(session, data, code):
    dossier = unpaid(session)
    if data == "camt054":
        data = iso20022.debit_notification(
            "N1", ACCOUNT, [iso20022.TxResult("E1", 15000, "BOOK")], date(2026, 3, 2), NOW
        )
    elif data == "other-account":
        data = statement(pay(dossier), account="9988776655")
    elif data == "usd":
        data = statement(pay(dossier, amount=15000), currency="USD")
    with pytest.raises(DancuError) as refused:
        statements.import_statement(session, data, actor=finance())
    assert refused.value.code == code
    assert b"root:" not in str(refused.value.message).encode()  # the entity was not read
    session.refresh(dossier)
    assert dossier.fee_state == "unpaid"
    assert (count(session, BankStatement), count(session, FeePayment)) == (0, 0)


def test_an_officer_without_the_fees_permission_may_not_import(session):
    dossier = unpaid(session)
    with pytest.raises(DancuError) as refused:
        statements.import_statement(
            session, statement(pay(dossier)), actor=make_actor(Role.PROCEDURE_OFFICER)
        )
    assert refused.value.code == "auth.permission"
    session.refresh(dossier)
    assert dossier.fee_state == "unpaid"


# What a bank sends, written by hand (camt.053.001.02, the version most banks still use):
# the bank's reference in the transaction's Refs, the payer's words in AddtlNtryInf.
BANK_FILE = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>VCB20260302EOD</MsgId><CreDtTm>2026-03-02T23:59:00+07:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>1122334455-20260302</Id>
   <CreDtTm>2026-03-02T23:59:00+07:00</CreDtTm>
   <Acct><Id><Othr><Id>1122334455</Id></Othr></Id><Ccy>VND</Ccy></Acct>
   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">15000</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>
   <Ntry>
    <Amt Ccy="VND">15000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
    <BookgDt><Dt>2026-03-02</Dt></BookgDt>
    <BkTxCd><Prtry><Cd>IBFT</Cd></Prtry></BkTxCd>
    <NtryDtls><TxDtls><Refs><AcctSvcrRef>5234-0302-000042</AcctSvcrRef></Refs></TxDtls></NtryDtls>
    <AddtlNtryInf>Trần Thị Bình chuyển tiền {ref}</AddtlNtryInf>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>"""


def test_a_statement_as_a_bank_writes_it_is_read(session):
    dossier = unpaid(session)
    data = BANK_FILE.format(ref=vietqr.reference(dossier.code)).encode()
    result = statements.import_statement(session, data, actor=finance())
    assert outcomes(result) == [("5234-0302-000042", "matched")]
    assert result.matched[0].booked_on == date(2026, 3, 2)
    assert "Trần Thị Bình" in result.matched[0].description


@pytest.mark.parametrize("code", list(EntryOutcome))
def test_every_entry_outcome_reads_well_in_both_languages(code):
    assert translate("vi", code) != code and translate("en", code) != code


def test_the_demo_pays_a_few_dossiers_by_a_simulated_statement(session):
    for n, name in enumerate(("An", "Bình", "Cường", "Dũng")):
        person(session, f"Phạm Văn {name}", birth_date=date(1970 + n, 1, 2))
    system = make_actor(Role.SYSTEM, units=())
    seed_procedures_demo(session, PROVINCE, 5, actor=system, dossiers=120, today=TODAY, signed=0)
    by_bank = session.scalars(
        select(Dossier).where(Dossier.paid_reference.like("bank_transfer:%"))
    ).all()
    assert 0 < len(by_bank) <= 5
    assert all(d.fee_state == "paid" and d.paid_amount == d.fee_amount for d in by_bank)
    review = statements.to_review(session, actor=finance(units=(PROVINCE,)))
    assert EntryOutcome.NO_REFERENCE in {e.outcome for e in review}


def test_an_entry_without_a_bank_reference_is_kept_once_however_often_it_is_imported(session):
    dossier = unpaid(session)
    twice = camt.Movement(None, 15000, "chuyen tien khong ma")  # the same transfer made twice
    data = statement(pay(dossier, None), twice, twice, camt.Movement(None, 9000, "khac"))
    first = statements.import_statement(session, data, actor=finance())
    assert [e.outcome for e in first.problems] == [EntryOutcome.NO_ID] * 4
    again = statements.import_statement(session, data, actor=finance())
    assert [e.outcome for e in again.problems] == [EntryOutcome.DUPLICATE] * 4
    assert [e.id for e in again.problems] == [None] * 4  # not kept again
    assert count(session, StatementEntry) == 4
    assert len(statements.to_review(session, actor=finance())) == 4
    next_day = camt.statement(
        ACCOUNT, [twice], message_id="STMT-0002", created_at=NOW.replace(day=3)
    )
    later = statements.import_statement(session, next_day, actor=finance())
    assert [e.outcome for e in later.problems] == [EntryOutcome.NO_ID]  # another statement's
    assert count(session, StatementEntry) == 5


def test_every_statement_of_a_message_is_read(session):
    monday, tuesday = unpaid(session, "A An"), unpaid(session, "B Bình")
    data = camt.message(
        [
            camt.Part(ACCOUNT, [pay(monday, "R1")], "1122334455-20260302"),
            camt.Part(
                ACCOUNT,
                [pay(tuesday, "R2"), camt.Movement("R3", 15000, "khong co ma")],
                "1122334455-20260303",
            ),
        ],
        message_id="VCB-EOD-2",
        created_at=NOW,
    )
    result = statements.import_statement(session, data, actor=finance())
    assert outcomes(result) == [
        ("R1", "matched"),
        ("R2", "matched"),
        ("R3", EntryOutcome.NO_REFERENCE),
    ]
    assert [(s.statement_id, s.entries, s.matched) for s in result.statements] == [
        ("1122334455-20260302", 1, 1),
        ("1122334455-20260303", 2, 1),
    ]
    assert result.entries == 3 and result.statement == result.statements[0]
    for dossier in (monday, tuesday):
        session.refresh(dossier)
        assert dossier.fee_state == "paid"
    assert count(session, BankStatement) == 2
    audited = session.scalars(
        select(AuditEntry.subject_id).where(AuditEntry.action == "fee_statement.imported")
    ).all()
    assert sorted(audited) == sorted(str(s.id) for s in result.statements)


@pytest.mark.parametrize(
    ("second", "code"),
    [
        (camt.Part("9988776655", [], "9988776655-20260302"), PaymentErrorCode.STATEMENT_ACCOUNT),
        (camt.Part(ACCOUNT, [], "USD-20260302", currency="USD"),
         PaymentErrorCode.STATEMENT_CURRENCY),
    ],
)  # fmt: skip
def test_a_message_with_one_foreign_statement_is_refused_whole(session, second, code):
    dossier = unpaid(session)
    first = camt.Part(ACCOUNT, [pay(dossier, "R1")], "1122334455-20260302")
    data = camt.message([first, second], message_id="VCB-EOD-3", created_at=NOW)
    with pytest.raises(DancuError) as refused:
        statements.import_statement(session, data, actor=finance())
    assert refused.value.code == code
    session.refresh(dossier)
    assert dossier.fee_state == "unpaid"
    assert (count(session, BankStatement), count(session, StatementEntry)) == (0, 0)


def test_a_transfer_pending_in_one_statement_pays_when_a_later_one_shows_it_booked(session):
    dossier = unpaid(session)
    booked = pay(dossier, "R1")
    pending = camt.Movement("R1", booked.amount, booked.text, status="PDNG")
    first = statements.import_statement(session, statement(pending), actor=finance())
    assert outcomes(first) == [("R1", EntryOutcome.NOT_BOOKED)]
    session.refresh(dossier)
    assert dossier.fee_state == "unpaid"
    later = camt.statement(ACCOUNT, [booked], message_id="STMT-0002", created_at=NOW)
    second = statements.import_statement(session, later, actor=finance())
    assert outcomes(second) == [("R1", "matched")]  # before: a duplicate, never paid
    session.refresh(dossier)
    assert dossier.fee_state == "paid"
    assert (count(session, FeePayment), count(session, StatementEntry)) == (1, 1)
    assert statements.to_review(session, actor=finance()) == []
    third = statements.import_statement(session, later, actor=finance())
    assert outcomes(third) == [("R1", EntryOutcome.DUPLICATE)]
    assert count(session, FeePayment) == 1


def test_a_pending_entry_an_officer_settled_is_not_taken_again(session):
    dossier = unpaid(session)
    booked = pay(dossier, "R1")
    pending = camt.Movement("R1", booked.amount, booked.text, status="PDNG")
    statements.import_statement(session, statement(pending), actor=finance())
    entry = session.scalars(select(StatementEntry)).one()
    entry.decision, entry.decision_reason = "ignore", "the bank cancelled it"
    session.flush()
    later = camt.statement(ACCOUNT, [booked], message_id="STMT-0002", created_at=NOW)
    again = statements.import_statement(session, later, actor=finance())
    assert outcomes(again) == [("R1", EntryOutcome.DUPLICATE)]
    session.refresh(dossier)
    assert dossier.fee_state == "unpaid"
