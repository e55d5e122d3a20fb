"""Bad input: refused or reported with a stable code and a Vietnamese message, nothing
half-written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR
from dancu.common.errors import DancuError
from dancu.payments import (
    beneficiaries,
    cycles,
    disbursement,
    imports,
    iso20022,
    programmes,
    reconcile,
)
from dancu.payments.models import Beneficiary, Instruction, PaymentFile
from dancu.payments.schemas import EnrolIn
from dancu.payments.simulated import BankNetwork, PostOffice
from dancu.registry import civil_status
from dancu.registry.schemas import DeathIn
from dancu.web.i18n import translate
from tests.conftest import PROVINCE
from tests.payments import helpers as h
from tests.registry.factories import person


def _code(exc: pytest.ExceptionInfo[DancuError], code: str) -> None:
    assert exc.value.code == code
    assert translate("vi", code) != code  # a Vietnamese message


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_citizen_enrolled_twice_is_refused(programmed: Session) -> None:
    a = h.elder(programmed)
    h.enrol(programmed, a)
    with pytest.raises(DancuError) as twice:
        h.enrol(programmed, a, approve=False)
    _code(twice, "payments.enrolled_twice")
    assert _count(programmed, Beneficiary) == 1


def test_an_account_of_someone_else_is_refused(programmed: Session) -> None:
    a, other = h.elder(programmed), h.elder(programmed, "Phạm Văn Dũng")
    network = BankNetwork()
    data = EnrolIn(
        pid=a.pid,
        programme=programmes.SOCIAL,
        category="elderly_80_no_pension",
        commune_code=a.commune_code,
        bank_code=h.BANK,
        account_id=network.account_of(other.pid),
        consent=True,
    )
    with pytest.raises(DancuError) as wrong:
        beneficiaries.enrol(programmed, data, actor=h.officer(), directory=network, today=h.TODAY)
    _code(wrong, "payments.account_holder_mismatch")
    without_consent = data.model_copy(
        update={"account_id": network.account_of(a.pid), "consent": False}
    )
    with pytest.raises(DancuError) as refused:
        beneficiaries.enrol(programmed, without_consent, actor=h.officer(), directory=network)
    _code(refused, "payments.account_consent")
    assert _count(programmed, Beneficiary) == 0


def test_a_deceased_or_moved_citizen_is_refused(programmed: Session) -> None:
    dead = h.elder(programmed)
    civil_status.register_death(
        programmed, DeathIn(pid=dead.pid, death_date=date(2025, 12, 1)), actor=SYSTEM_ACTOR
    )
    with pytest.raises(DancuError) as deceased:
        h.enrol(programmed, dead, bank=False, approve=False)
    _code(deceased, "payments.citizen_deceased")
    elsewhere = h.elder(programmed, "Võ Thị Em", commune_code="22015")
    data = EnrolIn(
        pid=elsewhere.pid,
        programme=programmes.SOCIAL,
        category="elderly_80_no_pension",
        commune_code=h.COMMUNE,
    )
    with pytest.raises(DancuError) as moved:
        beneficiaries.enrol(programmed, data, actor=h.PREPARER, today=h.TODAY)
    _code(moved, "payments.citizen_moved")
    young = person(programmed, "Đỗ Văn Giang", birth_date=date(1990, 1, 1))
    with pytest.raises(DancuError) as age:
        h.enrol(programmed, young, bank=False, approve=False)
    _code(age, "payments.age_rule")
    assert _count(programmed, Beneficiary) == 0


def test_an_amount_outside_the_rule_is_refused(programmed: Session) -> None:
    social = programmes.get_programme(programmed, programmes.SOCIAL)
    category = programmes.get_category(programmed, social, "elderly_80_no_pension")
    programmes.check_amount(programmed, social, category, h.JAN, 500_000)
    with pytest.raises(DancuError) as wrong:
        programmes.check_amount(programmed, social, category, h.JAN, 360_000)
    _code(wrong, "payments.amount_rule")


def test_a_level_never_rewrites_an_approved_month(programmed: Session) -> None:
    a = h.elder(programmed)
    h.enrol(programmed, a)
    cycle = cycles.prepare_cycle(programmed, programmes.SOCIAL, PROVINCE, h.JAN, actor=h.PREPARER)
    cycles.approve_cycle(programmed, cycle.id, actor=h.CHECKER)
    with pytest.raises(DancuError) as paid:
        programmes.add_level(
            programmed,
            programmes.SOCIAL,
            date(2026, 1, 1),
            600_000,
            legal_basis="x",
            actor=h.CHECKER,
        )
    _code(paid, "payments.level_paid_month")
    programmes.add_level(
        programmed, programmes.SOCIAL, h.FEB, 600_000, legal_basis="test", actor=h.CHECKER
    )
    feb = cycles.prepare_cycle(programmed, programmes.SOCIAL, PROVINCE, h.FEB, actor=h.PREPARER)
    amounts = dict(programmed.execute(select(Instruction.month, Instruction.amount)).all())
    assert amounts == {h.JAN: 500_000, h.FEB: 600_000} and feb.amount == 600_000


def test_a_cycle_approved_by_its_preparer_is_refused(programmed: Session) -> None:
    h.enrol(programmed, h.elder(programmed))
    cycle = cycles.prepare_cycle(programmed, programmes.SOCIAL, PROVINCE, h.JAN, actor=h.PREPARER)
    with pytest.raises(DancuError) as same:
        cycles.approve_cycle(programmed, cycle.id, actor=h.PREPARER)
    _code(same, "payments.same_officer")
    assert cycles.get_cycle(programmed, cycle.id, actor=h.CHECKER).status == "prepared"


def test_a_proposal_decided_by_its_maker_is_refused(programmed: Session) -> None:
    a = h.elder(programmed)
    data = EnrolIn(
        pid=a.pid,
        programme=programmes.SOCIAL,
        category="elderly_80_no_pension",
        commune_code=a.commune_code,
    )
    beneficiaries.enrol(programmed, data, actor=h.PREPARER, today=h.TODAY)
    change = beneficiaries.pending(programmed, actor=h.PREPARER)[0].change
    with pytest.raises(DancuError) as same:
        beneficiaries.decide(programmed, change.id, approve=True, actor=h.PREPARER)
    _code(same, "payments.same_officer")


def _paid_january(session: Session) -> tuple[str, bytes]:
    a = h.elder(session)
    h.enrol(session, a)
    cycle = cycles.prepare_cycle(session, programmes.SOCIAL, PROVINCE, h.JAN, actor=h.PREPARER)
    cycles.approve_cycle(session, cycle.id, actor=h.CHECKER)
    [f] = disbursement.bank_files(session, cycle.id, actor=h.PREPARER)
    _, content = disbursement.file_content(session, f.id, actor=h.PREPARER)
    return a.pid, content.encode()


def test_status_lines_for_unknown_instructions_or_wrong_amounts_are_reported(
    programmed: Session,
) -> None:
    _paid_january(programmed)
    [sent] = programmed.scalars(select(Instruction)).all()
    now = datetime(2026, 1, 20, tzinfo=UTC)
    lines = [
        iso20022.TxResult("P9-202601-999", 500_000, "ACSC"),
        iso20022.TxResult(sent.end_to_end_id, 499_000, "ACSC"),
    ]
    out = reconcile.import_status_report(
        programmed, iso20022.status_report("STS-1", "X", lines, now), actor=h.PREPARER
    )
    assert out.matched == 0
    assert [p.code for p in out.problems] == [
        "payments.status_unknown_instruction",
        "payments.status_wrong_amount",
    ]
    notice = iso20022.debit_notification("NTF-1", "KBNN", lines, date(2026, 1, 20), now)
    again = reconcile.import_notification(programmed, notice, actor=h.PREPARER)
    assert len(again.problems) == 2
    programmed.refresh(sent)
    assert sent.status == "sent"  # nothing moved
    for code in ("payments.status_unknown_instruction", "payments.status_wrong_amount"):
        assert translate("vi", code) != code


def test_a_malformed_file_is_refused_whole(programmed: Session) -> None:
    _paid_january(programmed)
    before = _count(programmed, PaymentFile)
    for data in (
        b"",
        b"<not xml",
        b"<Document xmlns='urn:x'/>",
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.12">'
        b"<CstmrPmtStsRpt/></Document>",
    ):
        with pytest.raises(DancuError) as bad:
            reconcile.import_status_report(programmed, data, actor=h.PREPARER)
        _code(bad, "payments.file_malformed")
    assert _count(programmed, PaymentFile) == before


def test_a_failed_transfer_is_retried_or_moved_to_cash(programmed: Session) -> None:
    pid, content = _paid_january(programmed)
    network = BankNetwork(closed={BankNetwork().account_of(pid)})
    report, _ = network.execute(content, booked_on=date(2026, 1, 20))
    reconcile.import_status_report(programmed, report, actor=h.PREPARER)
    [failed] = programmed.scalars(select(Instruction)).all()
    assert (failed.status, failed.failure_reason) == ("failed", "AC04")
    disbursement.move_to_cash(programmed, failed.id, actor=h.PREPARER)
    cycle_id = failed.cycle_id
    assert disbursement.bank_files(programmed, cycle_id, actor=h.PREPARER) == []
    _, lines = disbursement.postal_list(programmed, cycle_id, actor=h.PREPARER)
    assert [line["pid"] for line in lines] == [pid]
    receipts = PostOffice().pay(lines, paid_on=date(2026, 1, 25))
    assert disbursement.record_receipts(programmed, receipts, actor=h.PREPARER) == 1
    programmed.refresh(failed)
    assert (failed.status, failed.channel, failed.signed_by) == ("paid", "cash", "Trần Thị Bình")
    with pytest.raises(DancuError):
        disbursement.retry(programmed, failed.id, actor=h.PREPARER)  # only a failed one


def test_a_list_from_the_social_affairs_sector_is_linked_and_proposed(programmed: Session) -> None:
    a, b = h.elder(programmed), h.elder(programmed, "Ngô Văn Hải")
    dead = h.elder(programmed, "Trịnh Văn Khoa")
    civil_status.register_death(
        programmed, DeathIn(pid=dead.pid, death_date=date(2025, 12, 1)), actor=SYSTEM_ACTOR
    )
    account = BankNetwork().account_of(a.pid)
    cat = "elderly_80_no_pension"
    rows = [
        "ma_doi_tuong,ho_ten,so_cccd,ngay_sinh,gioi_tinh,ma_xa,doi_tuong,so_tien,ngan_hang,"
        "so_tai_khoan,dong_y",
        f"BTXH-1,Trần Thị Bình,{a.pid},02/03/1940,Nữ,{a.commune_code},{cat},500.000,"
        f"{h.BANK},{account},x",
        f"BTXH-2,Ngô Văn Hải,{b.pid},02/03/1940,Nữ,{b.commune_code},{cat},360.000,,,",
        f"BTXH-3,Trịnh Văn Khoa,{dead.pid},02/03/1940,Nữ,{dead.commune_code},{cat},,,,",
        f"BTXH-4,Người Không Có,,01/01/1930,Nam,24121,{cat},,,,",
    ]
    text = "\n".join(rows) + "\n"
    out = imports.import_list(
        programmed,
        text.encode(),
        file_name="btxh.csv",
        programme_code=programmes.SOCIAL,
        province_code=PROVINCE,
        actor=h.PREPARER,
        directory=BankNetwork(),
        today=h.TODAY,
    )
    assert (out.lines, out.proposed) == (4, 1)
    assert [(p.line, p.code) for p in out.problems] == [
        (3, "payments.amount_rule"),
        (4, "payments.citizen_deceased"),
        (5, "payments.not_linked"),
    ]
    [row] = programmed.scalars(select(Beneficiary)).all()
    assert (row.pid, row.channel, row.status, row.source) == (a.pid, "bank", "proposed", "import")
