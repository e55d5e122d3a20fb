"""``/openapi.json`` tells the truth about what the routes do at runtime (``web/openapi.py``).

Every operation of the document is called as a client generated from it would call it, once
without credentials and once with an officer's access token: an operation that refuses the
anonymous call with 401 must declare how to authenticate (and one that declares it must not
answer the anonymous call with success), and every answer's status and content type must be
among the operation's declared responses. Before this test, the provider's userinfo, token,
revocation, introspection and PAR endpoints answered 401 with no security declared, and the
status list's ``application/statuslist+jwt`` and the authorization pages' HTML were not
declared at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from dancu.common.access import Role
from dancu.identity.wallet import service as wallet
from tests.conftest import bearer, make_actor
from tests.identity.test_wallet import CLAIMS, ISSUER, make_account

OFFICER = make_actor(*Role, units=())
Operation = tuple[str, str, dict[str, Any]]


@pytest.fixture
def web(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def document(web: TestClient) -> dict[str, Any]:
    return web.get("/openapi.json").json()


def _operations(document: dict[str, Any]) -> list[Operation]:
    return [(p, m, op) for p, ops in document["paths"].items() for m, op in ops.items()]


def _example(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return str(schema["enum"][0])
    return "1"  # a valid integer id, and a valid (unknown) code or number


def _call(web: TestClient, path: str, method: str, op: dict[str, Any], **headers: str) -> Response:
    url = path
    for parameter in op.get("parameters", []):
        if parameter["in"] == "path":
            url = url.replace(f"{{{parameter['name']}}}", _example(parameter["schema"]))
    content = op.get("requestBody", {}).get("content", {})
    body: dict[str, Any] = {}
    if "application/json" in content:
        body = {"json": {}}
    elif content:  # a form: its required fields
        schema = next(iter(content.values())).get("schema", {})
        fields = schema.get("properties", {})
        body = {"data": {name: _example(fields[name]) for name in schema.get("required", [])}}
    return web.request(method.upper(), url, headers=headers, **body)


def _declared(op: dict[str, Any], status: int) -> dict[str, Any] | None:
    responses = op["responses"]
    return (
        responses.get(str(status))
        or responses.get(f"{status // 100}XX")
        or responses.get("default")
    )


def _problems(path: str, method: str, op: dict[str, Any], answer: Response) -> list[str]:
    where = f"{method.upper()} {path} answered {answer.status_code}"
    declared = _declared(op, answer.status_code)
    if declared is None:
        return [f"{where}: status not declared (declared: {sorted(op['responses'])})"]
    media = answer.headers.get("content-type", "").partition(";")[0].strip()
    if answer.content and media not in declared.get("content", {}):
        return [f"{where} with {media!r}: declared {sorted(declared.get('content', {}))}"]
    return []


def _protected(op: dict[str, Any]) -> bool:
    """The operation declares at least one way to authenticate (``{}`` alone is "none")."""
    return any(requirement for requirement in op.get("security", []))


def test_every_operation_protected_at_runtime_declares_security(web, document):
    problems: list[str] = []
    checked = 0
    for path, method, op in _operations(document):
        answer = _call(web, path, method, op)
        problems += _problems(path, method, op, answer)
        if answer.status_code == 401:
            checked += 1
            if not _protected(op):
                problems.append(f"{method.upper()} {path}: 401 without credentials, no security")
        elif _protected(op) and answer.status_code < 300:
            problems.append(f"{method.upper()} {path}: declares security, answers anonymously")
    assert not problems, "\n".join(problems)
    assert checked >= 30  # the API's operations and the provider's five back-channel ones


def test_every_answer_with_a_token_is_a_declared_response(web, document):
    problems: list[str] = []
    for path, method, op in _operations(document):
        answer = _call(web, path, method, op, **bearer(OFFICER))
        problems += _problems(path, method, op, answer)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/oidc/token", {"clientSecretBasic"}),
        ("/oidc/revoke", {"clientSecretBasic"}),
        ("/oidc/introspect", {"clientSecretBasic"}),
        ("/oidc/par", {"clientSecretBasic"}),
    ],
)
def test_the_back_channel_declares_the_client_authentication_methods(document, path, methods):
    op = document["paths"][path]["post"]
    assert {name for req in op["security"] for name in req} == methods
    allowed = set(op["x-client-authentication-methods"])
    assert {"client_secret_basic", "private_key_jwt"} <= allowed
    form = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"client_id", "client_assertion", "client_assertion_type"} <= set(form["properties"])


def test_userinfo_declares_a_bearer_or_dpop_token_with_openid(document):
    for method in ("get", "post"):
        op = document["paths"]["/oidc/userinfo"][method]
        assert {"bearer": ["openid"]} in op["security"] and {"dpop": ["openid"]} in op["security"]
    ids = {document["paths"]["/oidc/userinfo"][m]["operationId"] for m in ("get", "post")}
    assert len(ids) == 2


def test_the_status_list_declares_and_sends_its_media_type(web, document, session):
    account = make_account(session)
    row = wallet.issue_document(session, account.id, "health_insurance_card", CLAIMS, actor=ISSUER)
    session.commit()
    path = "/api/wallet/status/{list_id}"
    op = document["paths"][path]["get"]
    assert set(op["responses"]["200"]["content"]) == {"application/statuslist+jwt"}
    answer = web.get(f"/api/wallet/status/{row.status_list_id}")
    assert answer.status_code == 200
    assert _problems(path, "get", op, answer) == []
