"""Payments pages: the commune officer's list and form, the province's decisions and cycle
approval, the beneficiary's own page; every route refuses the wrong people, changing nothing."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from dancu.common.access import Actor, Role
from dancu.payments import cycles, programmes
from dancu.payments.models import Beneficiary, BeneficiaryChange, Cycle
from dancu.payments.simulated import BankNetwork
from tests.conftest import PROVINCE, bearer, make_actor
from tests.identity.helpers import active_account
from tests.identity.page_helpers import sign_in
from tests.payments import helpers as h

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
OTHER_COMMUNE = "22015"


def token(client: TestClient, actor: Actor, path: str = "/payments") -> str:
    found = TOKEN.search(client.get(path, headers=bearer(actor)).text)
    assert found, f"no form on {path}"
    return found.group(1)


def post(client: TestClient, actor: Actor, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    data = {**data, "csrf_token": token(client, actor)}
    return client.post(path, data=data, headers=bearer(actor), follow_redirects=False)


def test_a_commune_officer_enrols_and_a_second_officer_approves(
    client: TestClient, programmed: Session
) -> None:
    a = h.elder(programmed)
    programmed.commit()
    officer = h.officer()
    form = client.get("/payments/enrol", headers=bearer(officer))
    assert form.status_code == 200 and "Đưa đối tượng vào danh sách" in form.text
    assert "Agribank" in form.text  # the simulated banks' mapper in development
    wrong = post(
        client,
        officer,
        "/payments/enrol",
        {
            "pid": a.pid,
            "category": "social_assistance:elderly_80_no_pension",
            "commune_code": a.commune_code,
            "bank_code": h.BANK,
            "account_id": BankNetwork().account_of("066090100001"),
            "consent": "true",
        },
    )
    assert wrong.status_code == 422
    assert 'data-code="payments.account_holder_mismatch"' in wrong.text
    assert "Chủ tài khoản không phải là đối tượng này" in wrong.text
    assert f'value="{a.pid}"' in wrong.text  # what the officer typed is kept
    done = post(
        client,
        officer,
        "/payments/enrol",
        {
            "pid": a.pid,
            "category": "social_assistance:elderly_80_no_pension",
            "commune_code": a.commune_code,
            "bank_code": h.BANK,
            "account_id": BankNetwork().account_of(a.pid),
            "consent": "true",
            "reason": "xã đề nghị",
        },
    )
    assert (done.status_code, done.headers["location"]) == (303, "/payments?done=enrol")
    mine = client.get("/payments", headers=bearer(officer)).text
    assert "Chờ tỉnh phê duyệt" in mine and 'data-testid="approve-change"' not in mine
    page = client.get("/payments", headers=bearer(h.CHECKER)).text
    assert 'data-testid="approve-change"' in page and "Trần Thị Bình" in page
    change_id = programmed.scalar(select(BeneficiaryChange.id))
    approved = post(
        client, h.CHECKER, f"/payments/changes/{change_id}/decide", {"decision": "approve"}
    )
    assert approved.status_code == 303
    programmed.expire_all()
    assert programmed.scalar(select(Beneficiary.status)) == "active"


def test_the_province_approves_a_cycle_it_did_not_prepare(
    client: TestClient, programmed: Session
) -> None:
    h.enrol(programmed, h.elder(programmed))
    h.enrol(programmed, h.elder(programmed, "Lê Văn Cường"), bank=False)
    programmed.commit()
    prepared = post(
        client, h.PREPARER, "/payments/cycles", {"programme": programmes.SOCIAL, "month": "2026-01"}
    )
    assert prepared.status_code == 303
    url = prepared.headers["location"]
    own = client.get(url, headers=bearer(h.PREPARER)).text
    assert "Một cán bộ khác của tỉnh phê duyệt kỳ chi trả này." in own
    assert 'data-testid="approve-cycle"' not in own
    page = client.get(url, headers=bearer(h.CHECKER)).text
    assert 'data-testid="cycle-amount">1.000.000' in page and "Phường Tân Lập" in page
    refused = post(client, h.PREPARER, f"{url}/approve", {})
    assert refused.status_code == 403
    assert programmed.scalar(select(Cycle.status)) == "prepared"
    assert post(client, h.CHECKER, f"{url}/approve", {}).status_code == 303
    assert post(client, h.PREPARER, f"{url}/files", {}).status_code == 303
    files = client.get(url, headers=bearer(h.PREPARER)).text
    assert "Lệnh chuyển khoản (pain.001)" in files and "Danh sách chi trả qua bưu điện" in files
    assert "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam (Agribank)" in files
    assert h.BANK not in re.sub(r"<[^>]+>", " ", files)  # no bank code shown to people
    file_id = re.search(r'href="/payments/files/(\d+)"', files).group(1)  # type: ignore[union-attr]
    xml = client.get(f"/payments/files/{file_id}", headers=bearer(h.PREPARER))
    assert xml.status_code == 200 and "pain.001.001.09" in xml.text


def test_the_month_is_typed_as_the_page_asks_and_a_wrong_one_keeps_the_form(
    client: TestClient, programmed: Session
) -> None:
    """The month field was the browser's month picker (Chromium draws "--------- ----");
    it is a text field asking mm/yyyy, and a wrong month came back as a bare error page."""
    h.enrol(programmed, h.elder(programmed))
    programmed.commit()
    form = client.get("/payments/cycles", headers=bearer(h.PREPARER)).text
    assert 'type="month"' not in form and 'placeholder="mm/yyyy"' in form
    wrong = post(
        client, h.PREPARER, "/payments/cycles", {"programme": programmes.SOCIAL, "month": "13/2026"}
    )
    assert wrong.status_code == 422
    assert "<strong>Tháng:</strong> Tháng không hợp lệ: nhập theo dạng tt/nnnn" in wrong.text
    assert 'value="13/2026"' in wrong.text and 'aria-invalid="true"' in wrong.text
    assert programmed.scalar(select(func.count()).select_from(Cycle)) == 0
    typed = post(
        client, h.PREPARER, "/payments/cycles", {"programme": programmes.SOCIAL, "month": "01/2026"}
    )
    assert typed.status_code == 303
    assert programmed.scalar(select(Cycle.month)).isoformat() == "2026-01-01"


def test_a_beneficiary_sees_what_was_paid_to_which_account(
    client: TestClient, programmed: Session
) -> None:
    a = h.elder(programmed)
    account = active_account(programmed, a)
    h.enrol(programmed, a)
    cycle = cycles.prepare_cycle(programmed, programmes.SOCIAL, PROVINCE, h.JAN, actor=h.PREPARER)
    cycles.approve_cycle(programmed, cycle.id, actor=h.CHECKER)
    programmed.commit()
    sign_in(client, account, next="/account")
    assert 'href="/account/payments"' in client.get("/account").text
    page = client.get("/account/payments").text
    assert "Các khoản chi trả an sinh của tôi" in page and "01/2026" in page
    shown = "Nông thôn Việt Nam (Agribank) •••• " + BankNetwork().account_of(a.pid)[-4:]
    assert "500.000" in page and shown in page
    assert h.BANK not in re.sub(r"<[^>]+>", " ", page)


ROUTES = [
    ("GET", "/payments", {}),
    ("GET", "/payments/enrol", {}),
    ("POST", "/payments/enrol", {"pid": "x"}),
    ("GET", "/payments/cycles", {}),
    ("POST", "/payments/cycles", {"programme": programmes.SOCIAL, "month": "2026-01"}),
    ("GET", "/payments/figures", {}),
]


@pytest.mark.parametrize(("method", "path", "data"), ROUTES)
@pytest.mark.parametrize(
    ("who", "allowed"),
    [("anonymous", False), ("viewer", False), ("officer", None), ("preparer", None)],
)
def test_routes_refuse_the_wrong_people_and_change_nothing(  # type: ignore[no-untyped-def]
    client, programmed, method, path, data, who, allowed
) -> None:
    actors = {
        "viewer": make_actor(Role.PROCEDURE_OFFICER),
        "officer": h.officer(),
        "preparer": h.PREPARER,
    }
    before = programmed.scalar(select(func.count()).select_from(Cycle))
    headers = bearer(actors[who]) if who in actors else {}
    if method == "GET":
        answer = client.get(path, headers=headers, follow_redirects=False)
    else:
        csrf = token(client, h.PREPARER) if who != "anonymous" else ""
        answer = client.post(
            path, data={**data, "csrf_token": csrf}, headers=headers, follow_redirects=False
        )
    if who == "anonymous":
        assert answer.status_code in (303, 401, 403)
    elif who == "viewer":
        assert answer.status_code == 403
    elif who == "officer" and path in ("/payments/cycles",) and method == "POST":
        assert answer.status_code == 403  # a commune officer does not prepare cycles
    elif who == "preparer" and path == "/payments/enrol" and method == "POST":
        assert answer.status_code in (404, 422)  # allowed; the ID number is refused
    assert programmed.scalar(select(func.count()).select_from(Cycle)) == before + (
        1 if (who == "preparer" and method == "POST" and path == "/payments/cycles") else 0
    )


def test_an_officer_of_another_commune_sees_none_of_this_communes_beneficiaries(
    client: TestClient, programmed: Session
) -> None:
    out = h.enrol(programmed, h.elder(programmed))
    programmed.commit()
    stranger = h.officer("Cán bộ xã khác", commune=OTHER_COMMUNE)
    assert "Trần Thị Bình" not in client.get("/payments", headers=bearer(stranger)).text
    refused = post(
        client,
        stranger,
        f"/payments/beneficiaries/{out.id}/change",
        {"action": "suspend", "reason": "thử"},
    )
    assert refused.status_code == 404
    programmed.expire_all()
    assert programmed.scalar(select(Beneficiary.status)) == "active"


def test_the_list_page_makes_the_same_queries_for_one_beneficiary_as_for_ten(
    client: TestClient, programmed: Session, connection
) -> None:  # type: ignore[no-untyped-def]
    names = ("An", "Bình", "Cường", "Dũng", "Giang", "Hải", "Khoa", "Lâm", "Minh", "Nam", "Phúc")
    h.enrol(programmed, h.elder(programmed, f"Trần Văn {names[0]}"))
    programmed.commit()
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        client.get("/payments", headers=bearer(h.CHECKER))
        one = len(statements)
        for given in names[1:]:
            h.enrol(programmed, h.elder(programmed, f"Trần Văn {given}"))
        programmed.commit()
        statements.clear()
        page = client.get("/payments", headers=bearer(h.CHECKER))
        ten = len(statements)
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    assert page.text.count('data-testid="beneficiary-row"') == 11
    assert ten == one
