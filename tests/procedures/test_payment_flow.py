"""Paying a real dossier: the gateways' call-back, the citizen's payment page with its
VietQR, and the simulated gateway that pays and posts the signed confirmation back."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dancu.db import utcnow
from dancu.identity.accounts.models import Account
from dancu.procedures import service as dossiers
from dancu.procedures.payment import gateway
from dancu.procedures.payment.errors import PaymentErrorCode
from dancu.procedures.payment.models import FeePayment
from tests.identity.page_helpers import sign_in
from tests.procedures.helpers import TODAY, citizen_with_account, key, officer

MARITAL_STATUS = "1.004873"  # a commune's certificate with a fee of 15,000 đ
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def unpaid(session, name: str = "Trần Thị Bình"):
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
    assert (dossier.fee_state, dossier.fee_amount) == ("unpaid", 15000)
    return applicant, dossier


def confirmation(dossier, **changes) -> gateway.Confirmation:
    base = gateway.Confirmation(
        gateway.SIMULATED, "TXN-0001", dossier.code, dossier.fee_amount, utcnow()
    )
    return replace(base, **changes)


def post(client: TestClient, code: str, body: bytes, signature: str, gw: str = "simulated"):
    return client.post(
        f"/api/procedures/dossiers/{code}/payments/{gw}",
        content=body,
        headers={"X-Payment-Signature": signature, "Content-Type": "application/json"},
    )


def test_the_gateways_call_back_marks_the_dossier_paid_once(client, session):
    _applicant, dossier = unpaid(session)
    body, signature = gateway.simulated().sign(confirmation(dossier))
    answer = post(client, dossier.code, body, signature)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "dossier_code": dossier.code,
        "amount_vnd": 15000,
        "transaction_id": "TXN-0001",
    }
    session.refresh(dossier)
    assert (dossier.fee_state, dossier.paid_amount) == ("paid", 15000)
    assert dossier.paid_reference == "simulated:TXN-0001"
    again = post(client, dossier.code, body, signature)
    assert (again.status_code, again.json()["code"]) == (409, PaymentErrorCode.REPLAYED)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"amount_vnd": 1500}, 422, PaymentErrorCode.AMOUNT),
        ({"dossier_code": "24121-260302-999999"}, 422, PaymentErrorCode.DOSSIER),
    ],
)
def test_a_confirmation_that_does_not_fit_the_dossier_is_refused(
    client, session, change, status, code
):
    _applicant, dossier = unpaid(session)
    body, signature = gateway.simulated().sign(confirmation(dossier, **change))
    answer = post(client, dossier.code, body, signature)
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    session.refresh(dossier)
    assert dossier.fee_state == "unpaid"
    assert session.scalar(select(func.count()).select_from(FeePayment)) == 0


def test_a_forged_or_unknown_gateway_confirmation_is_refused(client, session):
    _applicant, dossier = unpaid(session)
    body, _ = gateway.simulated().sign(confirmation(dossier))
    forged = gateway.HmacGateway(gateway.SIMULATED, b"guess", "/").sign(confirmation(dossier))[1]
    answer = post(client, dossier.code, body, forged)
    assert (answer.status_code, answer.json()["code"]) == (401, PaymentErrorCode.SIGNATURE)
    unknown = post(client, dossier.code, body, forged, gw="vnpay")
    assert (unknown.status_code, unknown.json()["code"]) == (422, PaymentErrorCode.GATEWAY_UNKNOWN)
    session.refresh(dossier)
    assert dossier.fee_state == "unpaid"


def test_the_citizen_pays_through_the_simulated_gateway(client, session):
    applicant, dossier = unpaid(session)
    account = session.get(Account, applicant.account_id)
    sign_in(client, account, next=f"/my-dossiers/{dossier.code}")
    status = client.get(f"/my-dossiers/{dossier.code}")
    assert f'href="/my-dossiers/{dossier.code}/payment"' in status.text
    page = client.get(f"/my-dossiers/{dossier.code}/payment")
    assert page.status_code == 200, page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text and "Chuyển khoản" in page.text
    link = re.search(r'href="(/demo/payment-gateway\?[^"]+)"', page.text)
    assert link, page.text
    checkout = client.get(link.group(1).replace("&amp;", "&"))
    assert checkout.status_code == 200 and "15.000" in checkout.text
    paid = client.post(
        "/demo/payment-gateway",
        data={
            "csrf_token": TOKEN.search(checkout.text).group(1),
            "dossier": dossier.code,
            "amount": "15000",
            "return_to": f"/my-dossiers/{dossier.code}",
        },
        follow_redirects=False,
    )
    assert (paid.status_code, paid.headers["location"]) == (303, f"/my-dossiers/{dossier.code}")
    session.refresh(dossier)
    assert dossier.fee_state == "paid"
    after = client.get(f"/my-dossiers/{dossier.code}/payment")
    assert 'data-testid="nothing-due"' in after.text


def test_the_simulated_gateway_refuses_a_changed_amount_and_a_foreign_return(client, session):
    applicant, dossier = unpaid(session)
    sign_in(client, session.get(Account, applicant.account_id), next="/my-dossiers")
    checkout = client.get(
        "/demo/payment-gateway",
        params={"dossier": dossier.code, "amount": 1, "return_to": "https://evil.example/"},
    )
    assert '<p><a href="/">' in checkout.text  # cancel goes home, not to the foreign site
    assert 'name="return_to" value="/"' in checkout.text
    answer = client.post(
        "/demo/payment-gateway",
        data={
            "csrf_token": TOKEN.search(checkout.text).group(1),
            "dossier": dossier.code,
            "amount": "1",
            "return_to": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 422 and 'data-code="payment.amount"' in answer.text
    session.refresh(dossier)
    assert dossier.fee_state == "unpaid"


def test_another_citizen_cannot_open_the_payment_page(client, session):
    _applicant, dossier = unpaid(session)
    _other, stranger = citizen_with_account(session, "Lê Văn Cường")
    sign_in(client, session.get(Account, stranger.account_id), next="/my-dossiers")
    assert client.get(f"/my-dossiers/{dossier.code}/payment").status_code == 404
    assert officer()  # the officer console has its own routes; the page is the citizen's
