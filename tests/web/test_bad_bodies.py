"""A body the server cannot even parse is a 422 naming the body and the rule, as declared.

FastAPI answers a JSON body that is not UTF-8 (and Starlette a multipart form it cannot
split) with a bare 400 ``{"code": "error"}``, a status no operation of ``/openapi.json``
declares; Schemathesis' ``status_code_conformance`` found it on every JSON operation (one
byte, ``0xED``) and on the uploads. The error handler (``web/errors.py``) turns it into the
``request.invalid`` every operation declares, with ``field: "body"`` and the rule
``json_invalid`` or ``multipart_invalid``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from dancu.app import create_app
from dancu.common.access import Role
from tests.conftest import bearer, make_actor

DOCUMENT = create_app().openapi()
MULTIPART_OPERATIONS = [
    (method.upper(), path)
    for path, ops in DOCUMENT["paths"].items()
    for method, op in ops.items()
    if "multipart/form-data" in op.get("requestBody", {}).get("content", {})
]
JSON_OPERATIONS = [
    (method.upper(), path)
    for path, ops in DOCUMENT["paths"].items()
    for method, op in ops.items()
    if "application/json" in op.get("requestBody", {}).get("content", {})
]
OFFICER = bearer(make_actor(*Role, units=()))


def _declares(op: dict[str, Any], status: int) -> bool:
    return str(status) in op["responses"]


def test_the_walk_finds_json_bodies_in_every_domain() -> None:
    prefixes = {path.split("/")[2] for _, path in JSON_OPERATIONS}
    assert {"registry", "linkage", "exchange", "procedures", "payments", "wallet"} <= prefixes


def test_a_body_that_is_not_utf8_is_a_declared_422(client: TestClient) -> None:
    """One client for every operation (a database per operation would cost minutes)."""
    wrong = []
    for method, path in JSON_OPERATIONS:
        url = re.sub(r"\{[^}]+\}", "1", path)  # any path value: the body is read first
        response = client.request(
            method, url, content=b"\xed", headers={"Content-Type": "application/json", **OFFICER}
        )
        body = response.json()
        if (response.status_code, body.get("code"), body.get("field")) != (
            422,
            "request.invalid",
            "body",
        ) or body["errors"][0]["rule"] != "json_invalid":
            wrong.append(f"{method} {path}: {response.status_code} {body}")
        elif not _declares(DOCUMENT["paths"][path][method.lower()], 422):
            wrong.append(f"{method} {path}: 422 not declared")
    assert not wrong, "\n".join(wrong)


def test_a_broken_multipart_form_is_a_declared_422(client: TestClient) -> None:
    """Schemathesis sent a part without headers (``--b\\r\\n121--b--``): Starlette's 400."""
    assert MULTIPART_OPERATIONS, "no upload operation found"
    wrong = []
    for method, path in MULTIPART_OPERATIONS:
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = client.request(
            method,
            url,
            content=b"--b\r\n121--b--\r\n",
            headers={"Content-Type": "multipart/form-data; boundary=b", **OFFICER},
        )
        body = response.json()
        if response.status_code != 422 or body["errors"][0]["rule"] != "multipart_invalid":
            wrong.append(f"{method} {path}: {response.status_code} {body}")
        elif not _declares(DOCUMENT["paths"][path][method.lower()], 422):
            wrong.append(f"{method} {path}: 422 not declared")
    assert not wrong, "\n".join(wrong)
