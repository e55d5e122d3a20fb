"""Every officer route, four ways: anonymous, wrong role, wrong unit, allowed; a refusal
changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR, Role
from dancu.identity.accounts import officers
from dancu.identity.accounts import service as accounts
from dancu.procedures import repository as repo
from dancu.procedures import service as dossiers
from tests.conftest import OTHER_PROVINCE_COMMUNE, bearer, make_actor
from tests.procedures.helpers import TODAY, citizen_with_account, key, officer

WRONG_ROLE = make_actor(Role.REGISTRY_CLERK, name="Registry clerk")
WRONG_UNIT = make_actor(Role.PROCEDURE_OFFICER, units=(OTHER_PROVINCE_COMMUNE,), name="Hà Nội")
WRONG_UNIT_LEADER = make_actor(Role.COMMUNE_LEADER, units=(OTHER_PROVINCE_COMMUNE,), name="HN")
LEADER = make_actor(Role.COMMUNE_LEADER, units=("24121",), name="Leader")

# (method, path, json body, expected status when allowed)
ROUTES = [
    ("GET", "/api/procedures/dossiers/{code}", None, 200),
    ("POST", "/api/procedures/dossiers/{code}/lock", None, 200),
    ("POST", "/api/procedures/dossiers/{code}/release", None, 200),
    ("POST", "/api/procedures/dossiers/{code}/start", None, 200),
    ("POST", "/api/procedures/dossiers/{code}/assign", {"officer_id": "{officer}"}, 200),
    ("POST", "/api/procedures/dossiers/{code}/supplement", {"reason": "Thiếu ảnh"}, 200),
    ("POST", "/api/procedures/dossiers/{code}/approve", {"reason": ""}, 200),
    ("POST", "/api/procedures/dossiers/{code}/reject", {"reason": "Không đủ"}, 200),
]


def _dossier(session: Session) -> str:
    _c, applicant = citizen_with_account(session)
    d = dossiers.save(
        session,
        applicant,
        "1.004873",
        {"purpose": "Kết hôn"},
        [],
        key=key(),
        submit=True,
        today=TODAY,
    )
    session.commit()
    return d.code or ""


def _clerk_of_the_commune(session: Session) -> str:
    """A one-stop-shop officer of the commune, the one a leader may assign a dossier to."""
    _c, clerk = citizen_with_account(session, "Lý Văn Nhận", card=False)
    account = accounts.get(session, clerk.account_id or 0)
    officers.grant_role(session, account, Role.PROCEDURE_OFFICER, "24121", actor=SYSTEM_ACTOR)
    session.commit()
    return f"account:{account.id}"


def _state(session: Session, code: str) -> tuple[object, ...]:
    session.expire_all()
    d = repo.by_code(session, code)
    assert d is not None
    return (d.status, d.version, d.locked_by, d.assigned_to)


@pytest.mark.parametrize(("method", "path", "body", "ok"), ROUTES, ids=[r[1] for r in ROUTES])
def test_officer_api_routes(
    client: TestClient, session: Session, method: str, path: str, body: object, ok: int
) -> None:
    code = _dossier(session)
    url = path.format(code=code)
    if isinstance(body, dict) and body.get("officer_id") == "{officer}":
        body = {"officer_id": _clerk_of_the_commune(session)}
    before = _state(session, code)
    anonymous = client.request(method, url, json=body)
    assert anonymous.status_code == 401
    wrong_role = client.request(method, url, json=body, headers=bearer(WRONG_ROLE))
    assert wrong_role.status_code == 403 and wrong_role.json()["code"] == "auth.permission"
    outsider = WRONG_UNIT_LEADER if path.endswith("/assign") else WRONG_UNIT
    wrong_unit = client.request(method, url, json=body, headers=bearer(outsider))
    assert wrong_unit.status_code == 404
    assert wrong_unit.json()["code"] == "procedures.dossier_not_found"
    assert _state(session, code) == before  # nothing changed
    allowed = LEADER if path.endswith("/assign") else officer()
    answer = client.request(method, url, json=body, headers=bearer(allowed))
    assert answer.status_code == ok, answer.text
    assert answer.json()["code"] == code


def test_queue_and_figures(client: TestClient, session: Session) -> None:
    code = _dossier(session)
    assert client.get("/api/procedures/queue").status_code == 401
    assert client.get("/api/procedures/queue", headers=bearer(WRONG_ROLE)).status_code == 403
    other = client.get("/api/procedures/queue", headers=bearer(WRONG_UNIT)).json()
    assert other["total"] == 0
    mine = client.get("/api/procedures/queue", headers=bearer(officer())).json()
    assert [i["code"] for i in mine["items"]] == [code]
    params = {"unit": "24121", "from": "2020-01-01", "to": "2030-01-01"}
    assert client.get("/api/procedures/figures", params=params).status_code == 401
    assert (
        client.get("/api/procedures/figures", params=params, headers=bearer(WRONG_ROLE)).status_code
        == 403
    )
    assert (
        client.get("/api/procedures/figures", params=params, headers=bearer(WRONG_UNIT)).json()[
            "code"
        ]
        == "procedures.outside_unit"
    )
    fig = client.get("/api/procedures/figures", params=params, headers=bearer(officer())).json()
    assert fig["dossiers_total"] == 1


def test_console_pages(client: TestClient, session: Session) -> None:
    code = _dossier(session)
    page = f"/procedure-console/dossiers/{code}"
    assert client.get(page, follow_redirects=False).status_code in (303, 401)
    assert client.get(page, headers=bearer(WRONG_ROLE)).status_code == 403
    assert client.get(page, headers=bearer(WRONG_UNIT)).status_code == 404
    assert client.get(page, headers=bearer(officer())).status_code == 200
    refused = client.post(f"{page}/approve", data={"reason": ""}, headers=bearer(officer()))
    assert refused.status_code == 403  # no CSRF token
    assert _state(session, code)[0] == "submitted"


def test_a_citizen_sees_only_their_own_dossier(client: TestClient, session: Session) -> None:
    from dancu.identity.accounts.models import Account
    from tests.identity.page_helpers import sign_in

    code = _dossier(session)
    _c, other = citizen_with_account(session, "Đặng Văn Khoa", sex="M")
    session.commit()
    account = session.get(Account, other.account_id)
    assert account is not None
    sign_in(client, account, next="/my-dossiers")
    assert client.get(f"/my-dossiers/{code}").status_code == 404
