"""A credential that a dossier from the national portal earns reaches the citizen's wallet
like one of this portal's own, when the citizen holds an e-ID account; without one, the
result is signed and kept (the portal hands it over), and nothing is put in a wallet."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from dancu import settings
from dancu.common.outbox import Dispatcher, OutboxEvent
from dancu.identity.accounts import events as accounts_events
from dancu.identity.wallet import service as wallet
from dancu.procedures import console, events
from dancu.procedures import tasks as procedures_tasks
from dancu.procedures.models import Dossier
from dancu.procedures.npsp import inbound
from dancu.procedures.npsp.schemas import PortalDossierIn
from dancu.procedures.prefill import Applicant
from tests.identity.helpers import active_account, issue_card
from tests.procedures.helpers import TODAY, citizen_with_account, officer
from tests.registry.factories import household, person

CRIMINAL_RECORD = "2.000488"  # a province-level certificate that is a credential


@pytest.fixture(autouse=True)
def ca_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DANCU_PROCEDURES_CA_DIR", str(tmp_path / "procedures-ca"))
    monkeypatch.setenv("DANCU_DEV_LOGIN", "true")
    settings.get_settings.cache_clear()
    yield
    settings.get_settings.cache_clear()


def from_portal(session, pid: str, delivery: str = "wallet") -> Dossier:
    data = PortalDossierIn.model_validate(
        {
            "portal_dossier_id": f"G22.66-261204-{pid[-6:]}",
            "procedure_code": CRIMINAL_RECORD,
            "applicant": {"pid": pid, "full_name": "Trần Thị Bình"},
            "form": {"certificate_kind": "1"},
            "delivery": delivery,
            "submitted_at": "2026-03-02T08:00:00+07:00",
        }
    )
    code = inbound.receive(session, data, create=inbound.submit).dossier_code
    return session.scalars(select(Dossier).where(Dossier.code == code)).one()


def approve_and_dispatch(session, dossier: Dossier) -> dict:
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
    return dict(event.payload)


def test_a_portal_dossiers_credential_lands_in_the_applicants_wallet(session):
    _c, applicant = citizen_with_account(session)
    dossier = from_portal(session, applicant.pid)
    payload = approve_and_dispatch(session, dossier)
    held = wallet.list_documents(session, applicant.account_id, actor=applicant.actor)
    results = [d for d in held if d.doc_type == "procedure_result"]
    assert len(results) == 1, dossier.result  # before the fix: none, the account unknown
    assert results[0].credential_id == dossier.result["credential_id"]
    assert (payload["credential"], payload["account_id"]) == (True, applicant.account_id)
    assert dossier.account_id == applicant.account_id
    check = wallet.verify_presentation(session, results[0].sd_jwt)
    assert check.valid and check.claims["dossier_number"] == dossier.code


def test_without_an_e_id_account_the_result_is_signed_and_no_wallet_is_touched(session):
    c = person(session, "Lê Văn Cường", sex="M")
    household(session, c)
    issue_card(session, c)  # the chip card's data stands for the ID-card component
    dossier = from_portal(session, c.pid)
    assert dossier.account_id is None
    payload = approve_and_dispatch(session, dossier)
    assert (payload["credential"], payload["account_id"]) == (True, None)
    assert dossier.result["pdf_sha256"] and "credential_id" not in dossier.result


def test_a_portal_dossier_by_post_gets_no_credential(session):
    _c, applicant = citizen_with_account(session)
    dossier = from_portal(session, applicant.pid, delivery="post")
    approve_and_dispatch(session, dossier)
    assert dossier.result["pdf_sha256"] and "credential_id" not in dossier.result


# --- an account opened after the dossier -----------------------------------------------------


def deliver(session, topic: str) -> int:
    """Run the procedures' handlers of every ``topic`` event in the outbox; how many."""
    dispatcher = Dispatcher()
    procedures_tasks.subscribe(dispatcher)
    found = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic)).all()
    for event in found:
        for handler in dispatcher.handlers(event.topic):
            handler(session, dict(event.payload))
    session.flush()
    return len(found)


def without_account(session):
    c = person(session, "Lê Văn Cường", sex="M", birth_date=date(1990, 6, 1))
    household(session, c)
    issue_card(session, c)
    return c


def test_an_account_opened_after_the_result_receives_its_credential(session):
    c = without_account(session)
    dossier = from_portal(session, c.pid)
    approve_and_dispatch(session, dossier)
    assert "credential_id" not in dossier.result  # no wallet yet
    account = active_account(session, c)
    assert deliver(session, events.ACCOUNT_ACTIVATED) == 1
    session.refresh(dossier)
    assert dossier.account_id == account.id
    actor = Applicant(c.pid, account.id, c.full_name, level=1).actor
    held = [d for d in wallet.list_documents(session, account.id, actor=actor)]
    results = [d for d in held if d.doc_type == "procedure_result"]
    assert [d.credential_id for d in results] == [dossier.result["credential_id"]]
    check = wallet.verify_presentation(session, results[0].sd_jwt)
    assert check.valid and check.claims["dossier_number"] == dossier.code
    deliver(session, events.ACCOUNT_ACTIVATED)  # delivered twice: nothing more
    again = wallet.list_documents(session, account.id, actor=actor)
    assert len([d for d in again if d.doc_type == "procedure_result"]) == 1


def test_an_account_opened_while_the_dossier_is_open_gets_it_on_approval(session):
    c = without_account(session)
    dossier = from_portal(session, c.pid)
    account = active_account(session, c)
    deliver(session, events.ACCOUNT_ACTIVATED)
    session.refresh(dossier)
    assert dossier.account_id == account.id and dossier.status != "approved"
    payload = approve_and_dispatch(session, dossier)
    assert payload["account_id"] == account.id
    assert dossier.result["credential_id"]


def test_an_account_opened_after_a_result_by_post_gets_no_credential(session):
    c = without_account(session)
    dossier = from_portal(session, c.pid, delivery="post")
    approve_and_dispatch(session, dossier)
    account = active_account(session, c)
    deliver(session, events.ACCOUNT_ACTIVATED)
    session.refresh(dossier)
    assert dossier.account_id == account.id
    assert "credential_id" not in dossier.result


def test_the_subscribed_topic_is_the_one_the_accounts_emit():
    assert events.ACCOUNT_ACTIVATED == accounts_events.ACCOUNT_ACTIVATED
