"""An officer settles each transfer kept for review, once, with a reason: applied to a
dossier (paid exactly as an exact match would be), refunded, or ignored. Every refusal has
its code and changes nothing; a decided transfer leaves the list to review."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import event, func, select

from dancu.common.audit import AuditEntry
from dancu.common.errors import DancuError
from dancu.common.outbox import OutboxEvent
from dancu.procedures.models import DossierHistory
from dancu.procedures.payment import camt, events, review, service, statements, vietqr
from dancu.procedures.payment.errors import EntryOutcome, PaymentErrorCode
from dancu.procedures.payment.models import FeePayment, StatementEntry
from dancu.procedures.payment.schemas import ResolveIn
from dancu.procedures.workflow import VN_TZ
from dancu.web.i18n import translate
from tests.conftest import PROVINCE
from tests.procedures.test_payment_statement import (
    ACCOUNT,
    OTHER_COMMUNE,
    count,
    finance,
    pay,
    statement,
    unpaid,
)


def kept(session, result, reference: str | None) -> int:
    """The id of the entry the import kept under ``reference``."""
    entry = next(e for e in [*result.matched, *result.problems] if e.reference == reference)
    assert entry.id is not None
    return entry.id


def decide(session, entry_id: int, decision: str, reason: str = "Đã đối chiếu", **kw):
    return review.resolve(
        session, entry_id, ResolveIn(decision=decision, reason=reason, **kw), actor=finance()
    )


def refused(session, entry_id: int, decision: str, **kw) -> DancuError:
    with pytest.raises(DancuError) as caught:
        decide(session, entry_id, decision, **kw)
    return caught.value


def test_a_transfer_without_a_code_is_applied_to_the_dossier_as_an_exact_match_would(session):
    dossier = unpaid(session)
    data = statement(camt.Movement("R1", 15000, "Tran Thi Binh nop le phi ket hon"))
    result = statements.import_statement(session, data, actor=finance())
    entry_id = kept(session, result, "R1")
    assert [e.id for e in statements.to_review(session, actor=finance())] == [entry_id]

    out = decide(session, entry_id, "apply", "Người nộp gọi điện báo mã", dossier_code=dossier.code)

    assert (out.decision, out.applied_to, out.decided_by_name) == ("apply", dossier.code, "Kế toán")
    assert out.decision_reason == "Người nộp gọi điện báo mã" and out.decided_at is not None
    session.refresh(dossier)
    assert (dossier.fee_state, dossier.paid_amount) == ("paid", 15000)
    assert dossier.paid_reference == "bank_transfer:R1"  # as an exact match of R1 would be
    assert service.paid_amount(session, dossier.code) == 15000
    payment = session.scalars(select(FeePayment)).one()
    assert (payment.gateway, payment.transaction_id) == ("bank_transfer", "R1")
    paid = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == events.FEE_PAID)).all()
    assert [e.payload["dossier_code"] for e in paid] == [dossier.code]
    history = session.scalars(
        select(DossierHistory).where(
            DossierHistory.dossier_id == dossier.id, DossierHistory.action == "paid"
        )
    ).all()
    assert [h.actor_id for h in history] == [finance().id]
    assert statements.to_review(session, actor=finance()) == []
    assert [e.id for e in statements.to_review(session, actor=finance(), decided=True)] == [
        entry_id
    ]
    audited = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.subject_type == "statement_entry", AuditEntry.subject_id == str(entry_id)
        )
    ).all()
    assert audited == ["fee_statement.entry_resolved"]


def test_a_transfer_without_a_bank_reference_is_applied_under_its_entry(session):
    dossier = unpaid(session)
    result = statements.import_statement(session, statement(pay(dossier, None)), actor=finance())
    assert [e.outcome for e in result.problems] == [EntryOutcome.NO_ID]
    entry_id = result.problems[0].id
    decide(session, entry_id, "apply", dossier_code=vietqr.reference(dossier.code))
    session.refresh(dossier)
    assert (dossier.fee_state, dossier.paid_reference) == (
        "paid",
        f"bank_transfer:entry-{entry_id}",
    )


def test_refund_and_ignore_are_recorded_with_who_when_and_why(session):
    dossier = unpaid(session)
    data = statement(
        pay(dossier, "R1", amount=20000),
        camt.Movement("R2", 5500, "Phi quan ly tai khoan", credit=False),
    )
    result = statements.import_statement(session, data, actor=finance())
    refund = decide(
        session,
        kept(session, result, "R1"),
        "refund",
        "Chuyển thừa 5.000 đ, đã hoàn trả",
        refund_reference=" FT26062000077 ",
    )
    ignore = decide(session, kept(session, result, "R2"), "ignore", "Phí ngân hàng")
    assert (refund.decision, refund.refund_reference, refund.applied_to) == (
        "refund",
        "FT26062000077",
        None,
    )
    assert (ignore.decision, ignore.decision_reason) == ("ignore", "Phí ngân hàng")
    session.refresh(dossier)
    assert dossier.fee_state == "unpaid" and count(session, FeePayment) == 0
    settled = statements.to_review(session, actor=finance(), decided=True)
    assert {e.decision for e in settled} == {"refund", "ignore"}
    assert statements.to_review(session, actor=finance()) == []


def test_a_wrong_amount_cannot_be_applied_it_must_be_refunded(session):
    dossier = unpaid(session)
    result = statements.import_statement(
        session, statement(pay(dossier, "R1", amount=1500)), actor=finance()
    )
    entry_id = kept(session, result, "R1")
    error = refused(session, entry_id, "apply", dossier_code=dossier.code)
    assert (error.code, error.field, error.status_code) == (
        PaymentErrorCode.APPLY_AMOUNT,
        "dossier_code",
        422,
    )
    session.refresh(dossier)
    assert dossier.fee_state == "unpaid" and count(session, FeePayment) == 0
    assert [e.id for e in statements.to_review(session, actor=finance())] == [entry_id]
    assert decide(session, entry_id, "refund").decision == "refund"


def test_each_refusal_has_its_code_and_changes_nothing(session):
    right, paid, closed = unpaid(session, "A An"), unpaid(session, "B Bình"), unpaid(session)
    theirs = unpaid(session, "D Dũng", commune=OTHER_COMMUNE)
    closed.status = "withdrawn"
    session.flush()
    data = statement(
        pay(paid, "P1"),
        camt.Movement("R1", 15000, "khong co ma"),
        camt.Movement("R2", 15000, "phi", credit=False),
        camt.Movement("R3", 15000, "cho", status="PDNG"),
        camt.Movement("R4", 15000, "usd", currency="USD"),
    )
    result = statements.import_statement(session, data, actor=finance())
    r1, r2, r3, r4 = (kept(session, result, f"R{i}") for i in range(1, 5))
    cases = [
        ((r1, "apply"), {"dossier_code": ""}, PaymentErrorCode.APPLY_DOSSIER),
        ((r1, "apply"), {"dossier_code": "24121-999999999999"}, PaymentErrorCode.APPLY_DOSSIER),
        ((r1, "apply"), {"dossier_code": theirs.code}, PaymentErrorCode.APPLY_OUTSIDE_UNIT),
        ((r1, "apply"), {"dossier_code": paid.code}, PaymentErrorCode.APPLY_PAID),
        ((r1, "apply"), {"dossier_code": closed.code}, PaymentErrorCode.APPLY_NOT_DUE),
        ((r1, "ignore"), {"reason": "  "}, PaymentErrorCode.REASON_REQUIRED),
        ((r1, "refund"), {"refund_reference": "F" * 36}, PaymentErrorCode.REFUND_REFERENCE),
        ((r2, "apply"), {"dossier_code": right.code}, PaymentErrorCode.APPLY_NOT_CREDIT),
        ((r3, "apply"), {"dossier_code": right.code}, PaymentErrorCode.APPLY_NOT_CREDIT),
        ((r4, "apply"), {"dossier_code": right.code}, PaymentErrorCode.APPLY_NOT_CREDIT),
        ((r2, "refund"), {}, PaymentErrorCode.REFUND_NOT_CREDIT),
        ((kept(session, result, "P1"), "ignore"), {}, PaymentErrorCode.ENTRY_SETTLED),
        ((10**9, "ignore"), {}, PaymentErrorCode.ENTRY_NOT_FOUND),
    ]  # fmt: skip
    before = (count(session, FeePayment), count(session, AuditEntry))
    for (entry_id, decision), kw, code in cases:
        assert refused(session, entry_id, decision, **kw).code == code, (decision, kw)
    assert (count(session, FeePayment), count(session, AuditEntry)) == before
    for dossier in (right, closed, theirs):
        session.refresh(dossier)
        assert dossier.fee_state == "unpaid"
    decided = session.scalar(select(func.count()).where(StatementEntry.decision.is_not(None)))
    assert decided == 0
    assert len(statements.to_review(session, actor=finance())) == 4


def test_a_decision_is_taken_once(session):
    dossier = unpaid(session)
    result = statements.import_statement(
        session, statement(camt.Movement("R1", 15000, "le phi")), actor=finance()
    )
    entry_id = kept(session, result, "R1")
    decide(session, entry_id, "apply", dossier_code=dossier.code)
    for decision, kw in (("apply", {"dossier_code": dossier.code}), ("refund", {}), ("ignore", {})):
        assert refused(session, entry_id, decision, **kw).code == PaymentErrorCode.ENTRY_SETTLED
    assert count(session, FeePayment) == 1


def test_another_units_officer_does_not_find_the_entry(session):
    unpaid(session)
    result = statements.import_statement(
        session, statement(camt.Movement("R1", 15000, "le phi")), actor=finance()
    )
    entry_id = kept(session, result, "R1")
    with pytest.raises(DancuError) as caught:
        review.resolve(
            session,
            entry_id,
            ResolveIn(decision="ignore", reason="không phải của xã tôi"),
            actor=finance(units=(OTHER_COMMUNE,)),
        )
    assert caught.value.code == PaymentErrorCode.ENTRY_NOT_FOUND
    province = review.resolve(
        session,
        entry_id,
        ResolveIn(decision="ignore", reason="tỉnh đối chiếu"),
        actor=finance(units=(PROVINCE,)),
    )
    assert province.decision == "ignore"


@pytest.mark.parametrize("code", list(PaymentErrorCode))
def test_every_refusal_reads_well_in_vietnamese(code):
    assert translate("vi", code) != code


def test_an_applied_transfer_is_paid_on_its_booking_day(session):
    dossier = unpaid(session)
    data = statement(camt.Movement("R1", 15000, "le phi", booked_on=date(2026, 3, 1)))
    result = statements.import_statement(session, data, actor=finance())
    decide(session, kept(session, result, "R1"), "apply", dossier_code=dossier.code)
    payment = session.scalars(select(FeePayment)).one()
    assert payment.paid_at == datetime(2026, 3, 1, tzinfo=VN_TZ)


def test_the_review_lists_cost_one_query_however_long(session, connection):
    """Each list is one SELECT: no entry loads anything more (no N+1)."""
    many = [camt.Movement(f"R{i}", 15000 + i, f"khong ma {i}") for i in range(12)]
    result = statements.import_statement(session, statement(*many), actor=finance())
    for entry in result.problems[:5]:
        decide(session, entry.id, "refund")
    decide(session, result.problems[5].id, "ignore")
    session.expire_all()
    seen: list[str] = []

    def record(*args) -> None:
        seen.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        waiting = statements.to_review(session, actor=finance())
        settled = statements.to_review(session, actor=finance(), decided=True)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    assert (len(waiting), len(settled), len(seen)) == (6, 6, 2)


def test_the_refund_an_officer_recorded_is_recognised_when_the_bank_books_it(session):
    dossier = unpaid(session)
    first = statements.import_statement(
        session, statement(pay(dossier, "R1", amount=20000)), actor=finance()
    )
    decide(session, kept(session, first, "R1"), "refund", refund_reference="RF-778")
    out = camt.Movement("RF-778", 20000, "HOAN TRA R1", credit=False)
    other = camt.Movement("RF-779", 20000, "phi dich vu", credit=False)
    later = camt.statement(
        ACCOUNT, [out, other], message_id="STMT-0002", created_at=datetime(2026, 3, 3, 9)
    )
    result = statements.import_statement(session, later, actor=finance())
    assert [(e.reference, e.outcome) for e in result.problems] == [
        ("RF-778", EntryOutcome.REFUND),  # before: a debit left for review
        ("RF-779", EntryOutcome.DEBIT),
    ]
    review_list = statements.to_review(session, actor=finance())
    assert [e.reference for e in review_list] == ["RF-779"]
    assert translate("vi", EntryOutcome.REFUND) != EntryOutcome.REFUND
    assert translate("en", EntryOutcome.REFUND) != EntryOutcome.REFUND
