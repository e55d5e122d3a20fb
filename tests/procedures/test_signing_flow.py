"""Wired into the dossier flow: an approved dossier's result is signed, kept, offered to the
citizen, and lands in the wallet as an SD-JWT VC; the slips come from the dossier itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dancu import settings
from dancu.cli import app
from dancu.common.errors import DancuError, NotFound
from dancu.common.outbox import Dispatcher, OutboxEvent
from dancu.identity.accounts.service import close_for_death
from dancu.identity.wallet import service as wallet
from dancu.procedures import console, events
from dancu.procedures import service as dossiers
from dancu.procedures import tasks as procedures_tasks
from dancu.procedures.documents import service as papers
from dancu.procedures.documents import signing
from dancu.procedures.documents.errors import DocumentErrorCode
from dancu.procedures.prefill import Applicant
from tests.procedures.helpers import TODAY, citizen_with_account, key, officer
from tests.procedures.pdf_text import pdf_text

CRIMINAL_RECORD = "2.000488"  # a province-level certificate that is a credential


@pytest.fixture(autouse=True)
def ca_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DANCU_PROCEDURES_CA_DIR", str(tmp_path / "procedures-ca"))
    monkeypatch.setenv("DANCU_DEV_LOGIN", "true")
    settings.get_settings.cache_clear()
    yield
    settings.get_settings.cache_clear()


def submitted(session, name="Trần Thị Bình"):
    _c, applicant = citizen_with_account(session, name)
    applicant = Applicant(applicant.pid, applicant.account_id, applicant.name, level=2)
    dossier = dossiers.save(
        session,
        applicant,
        CRIMINAL_RECORD,
        {"certificate_kind": "1"},
        [],
        key=key(),
        submit=True,
        today=TODAY,
    )
    return applicant, dossier


def approve_and_dispatch(session, dossier):
    """Approve, then hand the outbox's result event to the handlers subscribed at start-up."""
    console.approve(session, officer(units=("66",)), dossier.code, today=TODAY)
    session.flush()
    dispatcher = Dispatcher()
    procedures_tasks.subscribe(dispatcher)
    event = session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == events.RESULT_READY)
    ).one()
    for handler in dispatcher.handlers(event.topic):
        handler(session, dict(event.payload))
    session.refresh(dossier)
    return event


def test_an_approved_result_is_signed_offered_and_in_the_wallet(session):
    applicant, dossier = submitted(session)
    approve_and_dispatch(session, dossier)
    paper = papers.citizen_paper(session, applicant, dossier.code, "result")
    outcome = signing.verify_result(paper.data)
    assert outcome.valid, outcome
    assert outcome.agency == dossier.result["issued_by"]
    assert outcome.agency.startswith("Ủy ban nhân dân tỉnh ")
    text = pdf_text(paper.data)
    assert "Trần Thị Bình" in text and dossier.code in text and applicant.pid in text
    held = wallet.list_documents(session, applicant.account_id, actor=applicant.actor)
    results = [d for d in held if d.doc_type == "procedure_result"]
    assert [d.credential_id for d in results] == [dossier.result["credential_id"]]
    check = wallet.verify_presentation(session, results[0].sd_jwt)
    assert check.valid, check
    assert check.claims["dossier_number"] == dossier.code
    assert check.claims["issuing_authority"] == outcome.agency


def test_the_handler_run_twice_issues_once(session):
    applicant, dossier = submitted(session)
    event = approve_and_dispatch(session, dossier)
    first = dict(dossier.result)
    assert papers.issue_result(session, dict(event.payload)) == first["pdf_sha256"]
    held = wallet.list_documents(session, applicant.account_id, actor=applicant.actor)
    assert len([d for d in held if d.doc_type == "procedure_result"]) == 1


def test_a_result_by_post_is_signed_but_not_put_in_the_wallet(session):
    applicant, dossier = submitted(session)
    dossiers.choose_delivery(session, applicant, dossier.code, "post")
    approve_and_dispatch(session, dossier)
    assert dossier.result["pdf_sha256"] and "credential_id" not in dossier.result
    held = wallet.list_documents(session, applicant.account_id, actor=applicant.actor)
    assert [d for d in held if d.doc_type == "procedure_result"] == []


def test_no_result_paper_before_approval_and_none_for_another_citizen(session):
    applicant, dossier = submitted(session)
    with pytest.raises(NotFound):
        papers.citizen_paper(session, applicant, dossier.code, "result")
    receipt = papers.citizen_paper(session, applicant, dossier.code, "receipt")
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in pdf_text(receipt.data)
    approve_and_dispatch(session, dossier)
    other, _ = submitted(session, "Lê Văn Cường")
    with pytest.raises(NotFound):
        papers.citizen_paper(session, other, dossier.code, "result")


def test_the_officer_prints_the_slips_of_a_dossier_of_their_units_only(session):
    _applicant, dossier = submitted(session)
    prov = officer(units=("66",))
    receipt = pdf_text(papers.slip(session, prov, dossier.code, "receipt").data)
    assert dossier.code in receipt and "Trần Thị Bình" in receipt
    assert "Thời gian trả kết quả giải quyết hồ sơ: ngày" in receipt
    control = pdf_text(papers.slip(session, prov, dossier.code, "control").data)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in control
    later = dossiers.local_today() + timedelta(days=3)
    apology = papers.slip(
        session, prov, dossier.code, "apology", reason="Chờ xác minh", new_due_on=later
    )
    assert f"{later:%d/%m/%Y}" in pdf_text(apology.data)
    with pytest.raises(DancuError) as past:
        papers.slip(session, prov, dossier.code, "apology", reason="x", new_due_on=TODAY)
    assert past.value.field == "new_due_on"
    with pytest.raises(NotFound):
        papers.slip(session, officer(units=("01",)), dossier.code, "receipt")
    with pytest.raises(NotFound):
        papers.slip(session, prov, dossier.code, "nonsense")


def test_the_verify_command_is_under_dancu_procedures(session, tmp_path):
    applicant, dossier = submitted(session)
    approve_and_dispatch(session, dossier)
    path = tmp_path / "result.pdf"
    path.write_bytes(papers.citizen_paper(session, applicant, dossier.code, "result").data)
    answer = CliRunner().invoke(app, ["procedures", "verify", str(path)])
    assert answer.exit_code == 0, answer.output
    assert "valid" in answer.output
    path.write_bytes(path.read_bytes().replace(b"/Producer", b"/Pxoducer"))
    refused = CliRunner().invoke(app, ["procedures", "verify", str(path)])
    assert refused.exit_code == 1 and DocumentErrorCode.ALTERED in refused.output


def test_a_closed_account_still_gets_the_signed_pdf_and_no_credential(session):
    applicant, dossier = submitted(session)
    assert close_for_death(session, applicant.pid)
    approve_and_dispatch(session, dossier)
    assert dossier.result["pdf_sha256"]
    assert dossier.result["credential_refused"] == "wallet.account_not_found"
    assert "credential_id" not in dossier.result
