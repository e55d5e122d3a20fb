"""The procedures pages, driven as a browser does: the public catalogue, a citizen applying
(prefilled, fewer components when the data proves them), an officer approving."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dancu.common.access import Role
from dancu.identity.accounts.models import Account
from dancu.procedures import repository as repo
from tests.conftest import bearer
from tests.identity.page_helpers import sign_in
from tests.procedures.helpers import PDF, citizen_with_account, officer

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _form_token(page: str) -> str:
    found = TOKEN.search(page)
    assert found
    return found.group(1)


def test_catalogue_is_public_and_searchable_without_diacritics(client: TestClient) -> None:
    page = client.get("/procedures", params={"q": "dang ky khai sinh"})
    assert page.status_code == 200
    assert "Đăng ký khai sinh" in page.text and "Đăng ký kết hôn" not in page.text
    api = client.get("/api/procedures", params={"q": "ly lich tu phap"}).json()
    assert [p["code"] for p in api] == ["2.000488"]
    one = client.get("/api/procedures/1.001193").json()
    assert one["level"] == "commune" and one["days"] == 1
    assert client.get("/api/procedures/9.999999").json()["code"] == "procedures.not_found"
    assert client.get("/procedures/1.001193").status_code == 200


def test_apply_needs_a_sign_in(client: TestClient) -> None:
    answer = client.get("/procedures/1.004873/apply", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def _apply(client: TestClient, code: str, data: dict[str, str], files: dict | None = None):  # type: ignore[no-untyped-def]
    form = client.get(f"/procedures/{code}/apply")
    assert form.status_code == 200, form.text
    key = KEY.search(form.text)
    assert key
    body = {"csrf_token": _form_token(form.text), "idempotency_key": key.group(1), **data}
    return form, client.post(
        f"/procedures/{code}/apply", data=body, files=files or {}, follow_redirects=False
    )


def test_a_citizen_submits_and_an_officer_approves(client: TestClient, session: Session) -> None:
    c, _applicant = citizen_with_account(session)
    account = session.get(Account, _applicant.account_id)
    assert account is not None
    sign_in(client, account, next="/procedures/1.004873/apply")
    form, answer = _apply(
        client, "1.004873", {"purpose": "Kết hôn", "action": "submit", "delivery": "wallet"}
    )
    assert 'data-testid="nothing-asked"' in form.text  # ID card and residence: from the registry
    assert c.pid in form.text  # prefilled
    assert answer.status_code == 303, answer.text
    code = answer.headers["location"].split("/")[2].split("?")[0]
    receipt = client.get(answer.headers["location"])
    assert 'data-testid="due-on"' in receipt.text and code in receipt.text
    # an officer of the commune sees it and approves it
    clerk = officer()
    queue = client.get("/procedure-console", headers=bearer(clerk))
    assert code in queue.text
    detail = client.get(f"/procedure-console/dossiers/{code}", headers=bearer(clerk))
    done = client.post(
        f"/procedure-console/dossiers/{code}/approve",
        data={"csrf_token": _form_token(detail.text), "reason": ""},
        headers=bearer(clerk),
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    dossier = repo.by_code(session, code)
    assert dossier is not None and dossier.status == "approved"


def test_without_a_card_the_citizen_uploads_it(client: TestClient, session: Session) -> None:
    _c, applicant = citizen_with_account(session, "Lê Văn Cường", sex="M", card=False)
    account = session.get(Account, applicant.account_id)
    assert account is not None
    sign_in(client, account, next="/procedures/1.004873/apply")
    form, answer = _apply(client, "1.004873", {"purpose": "Kết hôn", "action": "submit"})
    assert 'data-testid="asked-id_card"' in form.text
    assert answer.status_code == 422 and 'data-code="procedures.component_missing"' in answer.text
    _form, wrong = _apply(
        client,
        "1.004873",
        {"purpose": "Kết hôn", "action": "submit"},
        {"file_id_card": ("cccd.pdf", b"MZ\x90\x00not a pdf", "application/pdf")},
    )
    assert wrong.status_code == 422 and 'data-code="procedures.file_type"' in wrong.text
    _form, ok = _apply(
        client,
        "1.004873",
        {"purpose": "Kết hôn", "action": "submit"},
        {"file_id_card": ("cccd.pdf", PDF, "application/pdf")},
    )
    assert ok.status_code == 303, ok.text


def test_console_routes_refuse_wrong_role_and_unit(client: TestClient, session: Session) -> None:
    assert client.get("/procedure-console", follow_redirects=False).status_code in (401, 303)
    clerk = officer(Role.REGISTRY_CLERK)
    assert client.get("/procedure-console", headers=bearer(clerk)).status_code == 403
    figures = client.get(
        "/api/procedures/figures",
        params={"unit": "66", "from": "2026-01-01", "to": "2026-12-31"},
        headers=bearer(officer(units=("66",))),
    )
    assert figures.status_code == 200 and figures.json()["unit"] == "66"
    other = client.get(
        "/api/procedures/figures",
        params={"unit": "01", "from": "2026-01-01", "to": "2026-12-31"},
        headers=bearer(officer(units=("66",))),
    )
    assert other.status_code == 403 and other.json()["code"] == "procedures.outside_unit"


def test_draft_saved_and_resumed_then_level_two_refused(
    client: TestClient, session: Session
) -> None:
    _c, applicant = citizen_with_account(session)
    account = session.get(Account, applicant.account_id)
    assert account is not None
    sign_in(client, account, next="/procedures/1.004873/apply")
    form, saved = _apply(client, "1.004873", {"purpose": "Đi làm", "action": "save"})
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    key = KEY.search(form.text)
    assert key
    again = client.get("/procedures/1.004873/apply")
    assert 'value="Đi làm"' in again.text and f'value="{key.group(1)}"' in again.text
    refused = client.get("/procedures/2.000488/apply")  # a level-1 account, a level-2 procedure
    assert refused.status_code == 403 and "procedures.level_required" in refused.text


def test_supplement_then_withdraw_through_the_pages(client: TestClient, session: Session) -> None:
    _c, applicant = citizen_with_account(session)
    account = session.get(Account, applicant.account_id)
    assert account is not None
    sign_in(client, account, next="/procedures/1.004873/apply")
    _form, answer = _apply(client, "1.004873", {"purpose": "Kết hôn", "action": "submit"})
    code = answer.headers["location"].split("/")[2].split("?")[0]
    clerk = officer()
    detail = client.get(f"/procedure-console/dossiers/{code}", headers=bearer(clerk))
    asked = client.post(
        f"/procedure-console/dossiers/{code}/supplement",
        data={"csrf_token": _form_token(detail.text), "reason": "Thiếu ảnh"},
        headers=bearer(clerk),
        follow_redirects=False,
    )
    assert asked.status_code == 303
    status = client.get(f"/my-dossiers/{code}")
    assert 'data-status="supplement"' in status.text and "Thiếu ảnh" in status.text
    gone = client.post(
        f"/my-dossiers/{code}/withdraw",
        data={"csrf_token": _form_token(status.text)},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    late = client.post(
        f"/my-dossiers/{code}/supplement",
        data={"csrf_token": _form_token(status.text), "note": "Đã bổ sung"},
        files={"file_id_card": ("a.pdf", PDF, "application/pdf")},
    )
    assert late.status_code == 409 and 'data-code="procedures.withdrawn"' in late.text
