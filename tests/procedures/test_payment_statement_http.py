"""The statement import's doors: the API (a finance officer's token, their units), the
officer's page (upload, matched and unmatched entries, in Vietnamese) and the command."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dancu import cli, settings
from dancu.common.access import Role
from dancu.db.uow import unit_of_work
from dancu.procedures.models import Dossier
from dancu.procedures.payment import camt
from dancu.procedures.payment.models import BankStatement
from dancu.web.devlogin import demo_officers
from tests.conftest import COMMUNE, bearer, make_actor
from tests.procedures.test_payment_statement import pay, statement, unpaid
from tests.web.test_pages import sign_in

URL = "/api/procedures/payments/statements"
XML = {"Content-Type": "application/xml"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        (make_actor(Role.PROCEDURE_OFFICER, units=(COMMUNE,)), 403),
        (make_actor(Role.SOCIAL_APPROVER, units=(COMMUNE,)), 403),
        (make_actor(Role.FINANCE_OFFICER, units=("24124",)), 200),  # another commune
        (make_actor(Role.FINANCE_OFFICER, units=(COMMUNE,)), 200),
    ],
)
def test_only_a_finance_officer_of_the_dossiers_unit_gets_it_paid(client, session, who, status):
    dossier = unpaid(session)
    session.commit()
    headers = {**XML, **(bearer(who) if who else {})}
    answer = client.post(URL, content=statement(pay(dossier)), headers=headers)
    assert answer.status_code == status, answer.text
    session.refresh(dossier)
    allowed = who is not None and who.units == (COMMUNE,) and Role.FINANCE_OFFICER in who.roles
    assert dossier.fee_state == ("paid" if allowed else "unpaid")
    if status == 200:
        entry = [*answer.json()["matched"], *answer.json()["problems"]][0]
        assert entry["outcome"] == ("matched" if allowed else "payment.entry_outside_unit")
    else:
        assert session.scalar(select(func.count()).select_from(BankStatement)) == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not xml at all", "payments.file_malformed"),
        (b'<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/hostname">]><d>&e;</d>',
         "payments.file_malformed"),
        ("other-account", "payment.statement_account"),
        ("usd", "payment.statement_currency"),
    ],
)  # fmt: skip
def test_a_bad_file_gets_a_stable_code(client, session, body, code):
    dossier = unpaid(session)
    session.commit()
    if body == "other-account":
        body = statement(pay(dossier), account="9988776655")
    elif body == "usd":
        body = statement(pay(dossier), currency="USD")
    officer = bearer(make_actor(Role.FINANCE_OFFICER, units=(COMMUNE,)))
    answer = client.post(URL, content=body, headers={**XML, **officer})
    assert (answer.status_code, answer.json()["code"]) == (422, code)


def test_the_review_list_answers_the_officers_units_only(client, session):
    dossier = unpaid(session)
    session.commit()
    mine = bearer(make_actor(Role.FINANCE_OFFICER, units=(COMMUNE,)))
    data = statement(pay(dossier, amount=20000))
    assert client.post(URL, content=data, headers={**XML, **mine}).status_code == 200
    listed = client.get("/api/procedures/payments/to-review", headers=mine).json()
    assert [(e["dossier_code"], e["outcome"]) for e in listed] == [
        (dossier.code, "payment.entry_amount")
    ]
    other = bearer(make_actor(Role.FINANCE_OFFICER, units=("24124",)))
    assert client.get("/api/procedures/payments/to-review", headers=other).json() == []


@pytest.fixture
def dev_login(monkeypatch):
    monkeypatch.setenv("DANCU_DEV_LOGIN", "true")
    settings.get_settings.cache_clear()
    yield
    settings.get_settings.cache_clear()


def test_the_officer_uploads_the_statement_on_the_page(client, session, dev_login):
    officer = demo_officers(settings.get_settings().demo_province)["finance-officer"]
    dossier = unpaid(session)
    dossier.unit_code = officer.units[0]
    session.commit()
    sign_in(client, "finance-officer")
    home = client.get("/")
    assert 'data-testid="nav-procedure-fees"' in home.text
    page = client.get("/procedure-fees")
    assert page.status_code == 200 and "Phí, lệ phí nộp qua chuyển khoản" in page.text
    data = statement(pay(dossier, "R1"), camt.Movement("R2", 15000, "chuyen tien"))
    answer = client.post(
        "/procedure-fees",
        data={"csrf_token": TOKEN.search(page.text).group(1)},
        files={"file": ("statement.xml", data, "application/xml")},
    )
    assert answer.status_code == 200, answer.text
    assert 'data-testid="matched"' in answer.text and dossier.code in answer.text
    assert 'data-outcome="payment.entry_no_reference"' in answer.text
    assert "không ghi mã hồ sơ" in answer.text  # the reason, in Vietnamese
    session.refresh(dossier)
    assert dossier.fee_state == "paid"
    bad = client.post(
        "/procedure-fees",
        data={"csrf_token": TOKEN.search(page.text).group(1)},
        files={"file": ("statement.xml", b"<nope", "application/xml")},
    )
    assert bad.status_code == 422 and 'data-code="payments.file_malformed"' in bad.text
    forged = client.post(
        "/procedure-fees", files={"file": ("statement.xml", data, "application/xml")}
    )
    assert forged.status_code == 403


def test_a_procedure_officer_is_not_offered_the_page(client, session, dev_login):
    sign_in(client, "procedure-officer")
    assert "nav-procedure-fees" not in client.get("/").text
    assert client.get("/procedure-fees").status_code == 403


def test_the_command_imports_a_statement(cli_database, tmp_path):
    with unit_of_work() as session:
        dossier = unpaid(session)
        code = dossier.code
        unit = dossier.unit_code
    path = tmp_path / "statement.xml"
    with unit_of_work() as session:
        dossier = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        path.write_bytes(statement(pay(dossier)))
    args = ["procedures", "payments", "import-statement", str(path), "--unit", unit]
    first = CliRunner().invoke(cli.app, args)
    assert first.exit_code == 0, first.output
    assert "1 of 1 entries matched" in first.output
    again = CliRunner().invoke(cli.app, args)
    assert "0 of 1 entries matched, 1 reported" in again.output
    path.write_bytes(b"<not a statement/>")
    bad = CliRunner().invoke(cli.app, args)
    assert bad.exit_code == 1 and "payments.file_malformed" in bad.output
    with unit_of_work() as session:
        paid = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert (paid.fee_state, paid.paid_reference) == ("paid", "bank_transfer:FT26061000001")
