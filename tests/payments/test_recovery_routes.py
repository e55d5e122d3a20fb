"""The overpayment ledger through its routes: the JSON API for a province's payment officers
and the page they work it on, refusing a waiver without a reason and officers of another
area, changing nothing when they refuse."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.payments.models import Recovery
from tests.conftest import bearer
from tests.payments import helpers as h

ELDER_NAME = "Trần Thị Bình"  # helpers.elder's default
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _statuses(session: Session) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(Recovery.status).order_by(Recovery.id)))


def test_the_api_lists_and_moves_a_recovery(client: TestClient, overpaid: Session) -> None:
    listed = client.get("/api/payments/recoveries", headers=bearer(h.CHECKER))
    assert listed.status_code == 200
    feb, mar = listed.json()
    assert (feb["status"], feb["amount"], feb["payee_name"]) == ("flagged", 500_000, ELDER_NAME)
    moved = client.post(
        f"/api/payments/recoveries/{feb['id']}",
        json={"step": "notified", "note": "thư gửi gia đình"},
        headers=bearer(h.PREPARER),
    )
    assert moved.status_code == 200
    assert (moved.json()["status"], moved.json()["notified_by"]) == ("notified", h.PREPARER.id)
    only = client.get("/api/payments/recoveries?status=notified", headers=bearer(h.CHECKER))
    assert [r["id"] for r in only.json()] == [feb["id"]]

    no_reason = client.post(
        f"/api/payments/recoveries/{mar['id']}",
        json={"step": "waived"},
        headers=bearer(h.CHECKER),
    )
    assert no_reason.status_code == 422
    assert (no_reason.json()["code"], no_reason.json()["field"]) == (
        "payments.reason_required",
        "note",
    )
    unknown_step = client.post(
        f"/api/payments/recoveries/{mar['id']}", json={"step": "paid"}, headers=bearer(h.CHECKER)
    )
    assert unknown_step.status_code == 422
    elsewhere = Actor(id="officer:hn", name="Hà Nội", roles=h.CHECKER.roles, units=("01",))
    far = client.post(
        f"/api/payments/recoveries/{mar['id']}",
        json={"step": "recovered"},
        headers=bearer(elsewhere),
    )
    assert (far.status_code, far.json()["code"]) == (404, "payments.recovery_not_found")
    assert client.get("/api/payments/recoveries", headers=bearer(elsewhere)).json() == []
    assert _statuses(overpaid) == ["notified", "flagged"]


def test_an_officer_works_the_ledger_on_its_page(client: TestClient, overpaid: Session) -> None:
    page = client.get("/payments/recoveries", headers=bearer(h.CHECKER))
    assert page.status_code == 200
    assert "Khoản chi sai cần thu hồi" in page.text and ELDER_NAME in page.text
    assert page.text.count('data-testid="recovery-form"') == 2
    token = TOKEN.search(page.text)
    assert token
    first_id = overpaid.scalars(select(Recovery.id).order_by(Recovery.id)).first()

    refused = client.post(
        f"/payments/recoveries/{first_id}",
        data={"step": "waived", "note": " ", "csrf_token": token.group(1)},
        headers=bearer(h.CHECKER),
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert 'data-code="payments.reason_required"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert _statuses(overpaid) == ["flagged", "flagged"]

    done = client.post(
        f"/payments/recoveries/{first_id}",
        data={"step": "waived", "note": "người thừa kế khó khăn", "csrf_token": token.group(1)},
        headers=bearer(h.CHECKER),
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        "/payments/recoveries?done=waived",
    )
    assert _statuses(overpaid) == ["waived", "flagged"]
    after = client.get("/payments/recoveries?done=waived", headers=bearer(h.CHECKER))
    assert "người thừa kế khó khăn" in after.text
    assert after.text.count('data-testid="recovery-form"') == 1


def test_a_commune_officer_sees_the_ledger_but_cannot_move_it(
    client: TestClient, overpaid: Session
) -> None:
    page = client.get("/payments/recoveries", headers=bearer(h.officer()))
    assert page.status_code == 200
    assert 'data-testid="recovery-row"' in page.text
    assert 'data-testid="recovery-form"' not in page.text
