"""Validate our Digital Registries answers against the published OpenAPI document and the
Gherkin suite's schemas (``tests/exchange/specs/README.md`` says where they come from)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from openapi_spec_validator import validate as validate_spec

SPECS = Path(__file__).parent / "specs"
PREFIX = "/api/govstack"

# The Gherkin suite's response schemas (features/support/helpers/helpers.js), restated.
_EXAMPLE = {
    "type": "object",
    "properties": {
        "ID": {"type": "string"},
        "FirstName": {"type": "string"},
        "LastName": {"type": "string"},
        "BirthCertificateID": {"type": "string"},
    },
    "required": ["ID", "FirstName", "LastName", "BirthCertificateID"],
}
SUITE: dict[str, dict[str, Any]] = {
    "read": {"type": "object", "properties": {"content": _EXAMPLE}, "required": ["content"]},
    "read404": {
        "type": "object",
        "properties": {"detail": {"type": "string", "enum": ["no record found"]}},
    },
    "exists": {
        "type": "object",
        "properties": {
            "answer": {
                "type": "object",
                "properties": {"status": {"type": "boolean"}, "message": {"type": "string"}},
                "required": ["status", "message"],
            }
        },
        "required": ["answer"],
    },
    "list": {
        "type": "object",
        "properties": {
            "count": {"type": "number"},
            "next": {"type": "string"},
            "previous": {"type": ["string", "null"]},
            "results": {"type": "array", "items": _EXAMPLE},
        },
        "required": ["count", "results"],
    },
    "usage": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "ID": {"type": "string"},
                "ReaderID": {"type": "string"},
                "ReaderInitials": {"type": "string"},
                "ReaderInstitutionID": {"type": "string"},
                "ReaderInstitutionName": {"type": "string"},
                "ReaderApplicationName": {"type": "string"},
                "SearchDateTime": {"type": "string", "format": "date-time"},
                "Refrences": {
                    "type": "array",
                    "items": {"properties": {"ReferenceID": {"type": "string"}}},
                },
            },
            "required": ["ID", "ReaderID", "SearchDateTime"],
        },
    },
    "readValue": {"type": "string"},
}


@cache
def spec() -> dict[str, Any]:
    document = yaml.safe_load(
        (SPECS / "govstack-digital-registries-data-api-1.3.0.yaml").read_text()
    )
    validate_spec(document)  # the document itself is valid OpenAPI 3.0
    return document  # type: ignore[no-any-return]


def _template(path: str) -> str:
    """Our request path -> the spec's path template it matches."""
    path = path.split("?")[0].removeprefix(PREFIX)
    for template in spec()["paths"]:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not a path of the published API")


def _check(schema: dict[str, Any], body: Any) -> None:
    root = {**schema, "components": spec()["components"]}
    jsonschema.Draft4Validator(root, format_checker=jsonschema.FormatChecker()).validate(body)


def check_request(method: str, path: str, body: Any) -> None:
    operation = spec()["paths"][_template(path)][method.lower()]
    request = operation.get("requestBody")
    if request is not None:
        _check(request["content"]["application/json"]["schema"], body)


def check_response(method: str, path: str, status: int, body: Any) -> None:
    """The answer is one the published document declares, and matches its schema."""
    operation = spec()["paths"][_template(path)][method.lower()]
    declared = operation["responses"].get(str(status))
    assert declared is not None, f"{method} {path}: {status} is not a declared answer"
    content = declared.get("content", {}).get("application/json")
    if content is not None:
        _check(content["schema"], body)


def check_suite(name: str, body: Any) -> None:
    jsonschema.Draft7Validator(SUITE[name], format_checker=jsonschema.FormatChecker()).validate(
        body
    )
