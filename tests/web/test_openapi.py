"""``/openapi.json`` says how to authenticate, what a refusal looks like and what the exports
send, so that a client generated from it works (``web/openapi.py``)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from dancu.app import create_app
from dancu.common.errors import NotFound
from dancu.identity.oidc.bearer import API_SCOPES
from dancu.settings import get_settings

PUBLIC = "https://id.example.gov.vn"
ERROR = {"$ref": "#/components/schemas/Error"}
REFUSALS = ("401", "403", "404", "409", "422", "429")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    settings = get_settings().model_copy(update={"public_url": PUBLIC})
    return TestClient(create_app(settings)).get("/openapi.json").json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, ops in document["paths"].items() for m, op in ops.items()]


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with the document's components, for jsonschema."""
    return {**schema, "components": document["components"]}


def test_the_document_is_valid_openapi(document):
    validate(document)


def test_the_provider_s_flows_and_discovery_are_declared(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["openIdConnect"]["openIdConnectUrl"] == (
        f"{PUBLIC}/.well-known/openid-configuration"
    )
    flows = schemes["oauth2"]["flows"]
    assert flows["authorizationCode"]["authorizationUrl"] == f"{PUBLIC}/oidc/authorize"
    assert flows["clientCredentials"]["tokenUrl"] == f"{PUBLIC}/oidc/token"
    assert set(API_SCOPES) <= set(flows["clientCredentials"]["scopes"])
    assert (schemes["bearer"]["scheme"], schemes["dpop"]["scheme"]) == ("bearer", "DPoP")


@pytest.mark.parametrize(
    ("path", "method", "scope"),
    [
        ("/api/registry/citizens/{pid}", "get", "registry.read"),
        ("/api/registry/events/death", "post", "registry.write"),
        ("/api/linkage/sources", "get", "linkage.read"),
        ("/api/linkage/mappings/{source_type}", "put", "linkage.write"),
        ("/api/wallet/credentials/{credential_id}/revoke", "post", "wallet.manage"),
    ],
)
def test_an_api_operation_requires_a_token_with_its_router_s_scope(document, path, method, scope):
    security = document["paths"][path][method]["security"]
    assert {"oauth2": [scope]} in security and {"openIdConnect": [scope]} in security
    assert {"bearer": [scope]} in security and {"dpop": [scope]} in security


def test_every_operation_that_needs_an_actor_declares_security(document):
    api = [(p, m, op) for p, m, op in _operations(document) if p.startswith("/api/")]
    public = {(p, m) for p, m, op in api if "security" not in op}
    assert public == {
        ("/api/wallet/verify", "post"),
        ("/api/wallet/status/{list_id}", "get"),
        ("/api/procedures", "get"),  # the public catalogue of procedures
        ("/api/procedures/{code}", "get"),
        # a payment gateway's call-back: its signature authenticates it, not a token
        ("/api/procedures/dossiers/{code}/payments/{gateway_name}", "post"),
    }
    for path, method, op in api:
        assert (op.get("security") is None) == ("401" not in op["responses"]), (path, method)


def test_every_api_operation_declares_the_error_body_for_each_refusal(document):
    for path, method, op in _operations(document):
        if not path.startswith("/api/"):
            continue
        expected = REFUSALS if "security" in op else REFUSALS[2:]
        for status in expected:
            content = op["responses"][status]["content"]
            assert content == {"application/json": {"schema": ERROR}}, (path, method, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_error_schema_is_what_a_refusal_sends(document, client):
    schema = _resolve(document, ERROR)
    refusal = NotFound("No such citizen", code="citizen.not_found", field="pid", pid="1")
    jsonschema.validate(refusal.to_dict(), schema)
    unauthenticated = client.get("/api/registry/citizens/066090000001")
    assert unauthenticated.status_code == 401
    jsonschema.validate(unauthenticated.json(), schema)
    malformed = client.post("/api/wallet/verify", json=[1])  # the body must be an object
    assert malformed.status_code == 422
    jsonschema.validate(malformed.json(), schema)


def test_the_exports_declare_their_file_types(document):
    export = document["paths"]["/api/linkage/sources/{source_id}/export"]["get"]
    assert set(export["responses"]["200"]["content"]) == {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    problems = document["paths"]["/api/linkage/sources/{source_id}/problems/export"]["get"]
    assert set(problems["responses"]["200"]["content"]) == {"text/csv"}
