"""Settling a transfer under review through its doors: the API (a finance officer's token,
their units, a stable code per refusal) and the officer's page (a form per transfer, errors
on the field in the reader's language, the settled ones behind a filter)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dancu import cli, settings
from dancu.common.access import Role
from dancu.db.uow import unit_of_work
from dancu.procedures.models import Dossier
from dancu.procedures.payment import camt, review
from dancu.procedures.payment.models import FeePayment, StatementEntry
from dancu.web.devlogin import demo_officers
from tests.conftest import COMMUNE, bearer, make_actor
from tests.procedures.test_payment_statement import count, pay, statement, unpaid
from tests.web.test_pages import sign_in

IMPORT = "/api/procedures/payments/statements"
XML = {"Content-Type": "application/xml"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
OFFICER = make_actor(Role.FINANCE_OFFICER, units=(COMMUNE,))


def resolve_url(entry_id: int) -> str:
    return f"/api/procedures/payments/entries/{entry_id}/resolve"


def imported(client, session, *movements) -> list[dict]:
    """Import a statement as the commune's finance officer; its entries kept for review."""
    answer = client.post(IMPORT, content=statement(*movements), headers={**XML, **bearer(OFFICER)})
    assert answer.status_code == 200, answer.text
    return answer.json()["problems"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        (make_actor(Role.PROCEDURE_OFFICER, units=(COMMUNE,)), 403),
        (make_actor(Role.STEERING_VIEWER, units=(COMMUNE,)), 403),
        (make_actor(Role.FINANCE_OFFICER, units=("24124",)), 404),  # another commune
        (OFFICER, 200),
    ],
)
def test_only_a_finance_officer_of_the_unit_applies_a_transfer(client, session, who, status):
    dossier = unpaid(session)
    session.commit()
    [entry] = imported(client, session, camt.Movement("R1", 15000, "nop le phi"))
    body = {"decision": "apply", "reason": "Người nộp báo mã", "dossier_code": dossier.code}
    answer = client.post(resolve_url(entry["id"]), json=body, headers=bearer(who) if who else {})
    assert answer.status_code == status, answer.text
    session.refresh(dossier)
    assert dossier.fee_state == ("paid" if status == 200 else "unpaid")
    kept = session.get(StatementEntry, entry["id"])
    session.refresh(kept)
    assert kept.decision == ("apply" if status == 200 else None)
    if status == 200:
        out = answer.json()
        assert (out["decision"], out["applied_to"], out["outcome"]) == (
            "apply",
            dossier.code,
            "payment.entry_no_reference",
        )
    elif status == 404:
        assert answer.json()["code"] == "payment.entry_not_found"


def test_refusals_answer_stable_codes_and_the_lists_move(client, session):
    dossier = unpaid(session)
    session.commit()
    wrong, debit = imported(
        client,
        session,
        pay(dossier, "R1", amount=20000),
        camt.Movement("R2", 3300, "phi SMS", credit=False),
    )
    officer = bearer(OFFICER)

    def post(entry, **body):
        return client.post(resolve_url(entry["id"]), json=body, headers=officer)

    refusals = [
        (post(wrong, decision="apply", reason="x", dossier_code=dossier.code), 422,
         "payment.apply_amount"),
        (post(wrong, decision="refund", reason=""), 422, "payment.reason_required"),
        (post(debit, decision="refund", reason="x"), 422, "payment.refund_not_credit"),
        (post(debit, decision="apply", reason="x", dossier_code=dossier.code), 422,
         "payment.apply_not_credit"),
    ]  # fmt: skip
    for answer, status, code in refusals:
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert post(wrong, decision="maybe", reason="x").status_code == 422
    done = post(wrong, decision="refund", reason="Chuyển thừa", refund_reference="FT99")
    assert done.status_code == 200 and done.json()["refund_reference"] == "FT99"
    again = post(wrong, decision="ignore", reason="lần hai")
    assert (again.status_code, again.json()["code"]) == (409, "payment.entry_settled")
    listed = client.get("/api/procedures/payments/to-review", headers=officer).json()
    assert [e["id"] for e in listed] == [debit["id"]]
    settled = client.get("/api/procedures/payments/to-review?decided=true", headers=officer)
    assert [(e["id"], e["decision"]) for e in settled.json()] == [(wrong["id"], "refund")]
    assert count(session, FeePayment) == 0


@pytest.fixture
def dev_login(monkeypatch):
    monkeypatch.setenv("DANCU_DEV_LOGIN", "true")
    settings.get_settings.cache_clear()
    yield
    settings.get_settings.cache_clear()


def officers_dossier(session):
    """An unpaid dossier of the development sign-in's finance officer's commune."""
    officer = demo_officers(settings.get_settings().demo_province)["finance-officer"]
    dossier = unpaid(session)
    dossier.unit_code = officer.units[0]
    session.commit()
    return dossier


def import_on_page(client, *movements):
    page = client.get("/procedure-fees")
    answer = client.post(
        "/procedure-fees",
        data={"csrf_token": TOKEN.search(page.text).group(1)},
        files={"file": ("statement.xml", statement(*movements), "application/xml")},
    )
    assert answer.status_code == 200, answer.text
    return TOKEN.search(answer.text).group(1), answer.text


def entry_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-entry="(\d+)"', html)]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("vi", ("Xử lý khoản chuyển này", "Hãy nêu lý do", "Đã ghi quyết định",
                "Đã dùng để nộp phí cho hồ sơ")),
        ("en", ("Settle this transfer", "Give the reason for the decision",
                "Your decision is recorded", "Applied to dossier")),
    ],
)  # fmt: skip
def test_the_officer_settles_a_transfer_on_the_page(client, session, dev_login, lang, words):
    settle, reason_missing, recorded, applied = words
    dossier = officers_dossier(session)
    sign_in(client, "finance-officer")
    client.get(f"/procedure-fees?lang={lang}")  # the language, kept in a cookie
    csrf, page = import_on_page(client, camt.Movement("R1", 15000, "Tran Thi Binh nop tien"))
    [entry_id] = entry_ids(page)
    assert settle in page and 'data-testid="resolve-form"' in page
    url = f"/procedure-fees/entries/{entry_id}/resolve"
    form = {"csrf_token": csrf, "decision": "apply", "dossier_code": dossier.code, "reason": " "}
    missing = client.post(url, data=form, follow_redirects=False)
    assert missing.status_code == 422
    assert 'data-code="payment.reason_required" data-field="reason"' in missing.text
    assert reason_missing in missing.text
    assert re.search(r'<textarea name="reason"[^>]* aria-invalid="true"', missing.text)
    assert f'value="{dossier.code}"' in missing.text  # what was typed is shown again
    session.refresh(dossier)
    assert dossier.fee_state == "unpaid"

    done = client.post(url, data={**form, "reason": "Đã gọi người nộp"}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/procedure-fees?resolved={entry_id}#review",
    )
    after = client.get(done.headers["location"])
    assert recorded in after.text and entry_id not in entry_ids(after.text)
    settled = client.get("/procedure-fees?show=decided").text
    assert f'data-decision="apply" data-entry="{entry_id}"' in settled
    assert applied in settled and "Đã gọi người nộp" in settled
    session.refresh(dossier)
    assert (dossier.fee_state, dossier.paid_reference) == ("paid", "bank_transfer:R1")
    twice = client.post(url, data={**form, "reason": "lại"}, follow_redirects=False)
    assert twice.status_code == 409
    assert 'data-testid="resolve-error-summary" data-code="payment.entry_settled"' in twice.text


def test_a_forged_or_choiceless_form_changes_nothing(client, session, dev_login):
    officers_dossier(session)
    sign_in(client, "finance-officer")
    csrf, page = import_on_page(client, camt.Movement("R1", 15000, "khong ro"))
    [entry_id] = entry_ids(page)
    url = f"/procedure-fees/entries/{entry_id}/resolve"
    forged = client.post(url, data={"decision": "ignore", "reason": "x"})
    assert forged.status_code == 403
    choiceless = client.post(url, data={"csrf_token": csrf, "reason": "x"})
    assert choiceless.status_code == 422
    assert 'data-code="payment.decision" data-field="decision"' in choiceless.text
    assert session.scalars(select(StatementEntry.decision)).all() == [None]


def test_who_may_not_settle_sees_no_form_and_cannot_post_one(
    client, session, dev_login, monkeypatch
):
    """The page's forms and ``resolve`` share one gate (``review.may_resolve``): an officer
    it refuses (a read-only fees role, were one granted) sees the list without forms."""
    officers_dossier(session)
    sign_in(client, "finance-officer")
    csrf, page = import_on_page(client, camt.Movement("R1", 15000, "khong ro"))
    [entry_id] = entry_ids(page)
    monkeypatch.setattr(review, "may_resolve", lambda actor: False)
    read_only = client.get("/procedure-fees").text
    assert entry_ids(read_only) == [entry_id] and "resolve-form" not in read_only
    denied = client.post(
        f"/procedure-fees/entries/{entry_id}/resolve",
        data={"csrf_token": csrf, "decision": "ignore", "reason": "x"},
    )
    assert denied.status_code == 403
    assert session.scalars(select(StatementEntry.decision)).all() == [None]


def test_a_procedure_officer_cannot_post_a_decision(client, session, dev_login):
    sign_in(client, "procedure-officer")
    page = client.get("/")
    csrf = TOKEN.search(page.text)
    data = {"decision": "ignore", "reason": "x", **({"csrf_token": csrf.group(1)} if csrf else {})}
    assert client.post("/procedure-fees/entries/1/resolve", data=data).status_code == 403


def test_the_command_settles_a_transfer_once(cli_database, tmp_path):
    with unit_of_work() as session:
        dossier = unpaid(session)
        code, unit = dossier.code, dossier.unit_code
    path = tmp_path / "statement.xml"
    path.write_bytes(statement(camt.Movement("R1", 15000, "nop tien"), camt.Movement("R2", 1, "x")))
    base = ["procedures", "payments"]
    imported = CliRunner().invoke(cli.app, [*base, "import-statement", str(path), "--unit", unit])
    assert imported.exit_code == 0, imported.output
    with unit_of_work() as session:
        one, two = session.scalars(select(StatementEntry.id).order_by(StatementEntry.id)).all()
    apply = [*base, "resolve", str(one), "--decision", "apply", "--dossier", code]
    args = [*apply, "--reason", "người nộp báo mã", "--unit", unit, "--by", "Ngô Thị Hạnh"]
    done = CliRunner().invoke(cli.app, args)
    assert done.exit_code == 0, done.output
    assert f"transfer {one}: apply ({code}) by Ngô Thị Hạnh" in done.output
    again = CliRunner().invoke(cli.app, args)
    assert again.exit_code == 1 and "payment.entry_settled" in again.output
    wrong = [*base, "resolve", str(two), "--decision", "later", "--reason", "x", "--unit", unit]
    refused = CliRunner().invoke(cli.app, wrong)
    assert refused.exit_code == 1 and "decision" in refused.output
    with unit_of_work() as session:
        paid = session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert (paid.fee_state, paid.paid_reference) == ("paid", "bank_transfer:R1")
        entry = session.get_one(StatementEntry, one)
        assert (entry.decision, entry.decided_by_name) == ("apply", "Ngô Thị Hạnh")
        assert session.get_one(StatementEntry, two).decision is None
