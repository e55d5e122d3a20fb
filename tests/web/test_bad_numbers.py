"""Every route answers a number it cannot take with 422 naming the field, never a 500.

A fuzzer found ids of 2**63 and pages whose offset passes 2**63 answering 500
(``OverflowError`` in the database driver). The routes and their integer parameters (path,
query, form fields and the fields of JSON bodies) are read from the app itself, so a route
added tomorrow is walked too. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

import pytest
from fastapi import params
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel

from dancu.app import create_app
from dancu.common.access import Role
from tests.conftest import bearer, make_actor

OVERFLOW = 2**63
MAX_ID = OVERFLOW - 1  # the largest BIGINT
HUGE_PAGE = 300_000_000_000_000_000  # below 2**63, but its offset is not
BAD_IDS = (OVERFLOW, -1, 0)
BAD_PAGES = (OVERFLOW, -1, 0, HUGE_PAGE)
EVERYONE = make_actor(*Role, units=(), name="Fuzzer")  # every permission, nationwide


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # with {placeholders}
    where: Literal["path", "query", "form", "json"]
    name: str
    defaults: tuple[tuple[str, str], ...]  # a valid value for every path parameter

    @property
    def bad_values(self) -> tuple[int, ...]:
        return BAD_PAGES if self.name == "page" else BAD_IDS

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.where}:{self.name}"


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _is_int(args[0])
    if origin in (Union, types.UnionType):
        return any(_is_int(a) for a in args if a is not type(None))
    return False


def _sample(annotation: Any) -> str:
    """A value a path parameter accepts, so that only the parameter under test is wrong."""
    if typing.get_origin(annotation) is Literal:
        return str(typing.get_args(annotation)[0])
    return "1"


def _models(annotation: Any) -> list[type[BaseModel]]:
    found = [a for a in (annotation, *typing.get_args(annotation)) if isinstance(a, type)]
    return [a for a in found if issubclass(a, BaseModel)]


def _cases_of(method: str, path: str, dependant: Any) -> list[Case]:
    defaults = tuple((p.alias, _sample(p.field_info.annotation)) for p in dependant.path_params)
    cases = []

    def add(where: Literal["path", "query", "form", "json"], name: str) -> None:
        cases.append(Case(method, path, where, name, defaults))

    for p in dependant.path_params:
        if _is_int(p.field_info.annotation):
            add("path", p.alias)
    for p in dependant.query_params:
        if _is_int(p.field_info.annotation):
            add("query", p.alias)
    for p in dependant.body_params:
        if isinstance(p.field_info, params.Form) and _is_int(p.field_info.annotation):
            add("form", p.alias)
        for model in _models(p.field_info.annotation):
            for name, field in model.model_fields.items():
                if _is_int(field.annotation):
                    add("json", field.alias or name)
    for sub in dependant.dependencies:
        cases.extend(_cases_of(method, path, sub))
    return cases


def integer_inputs() -> list[Case]:
    app = create_app()
    cases: list[Case] = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        method = sorted(m for m in context.methods if m != "HEAD")[0]
        cases.extend(_cases_of(method, context.path, context.dependant))
    return sorted(set(cases), key=str)


CASES = integer_inputs()


def _csrf(client: TestClient) -> str:
    page = client.get("/registry/search", headers=bearer(EVERYONE))
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the officer's page carries the session's CSRF token"
    return found.group(1)


def _send(client: TestClient, case: Case, value: int, token: str) -> Any:
    values = dict(case.defaults)
    if case.where == "path":
        values[case.name] = str(value)
    url = case.path.format(**values)
    headers = bearer(EVERYONE) | {"X-CSRF-Token": token, "X-Purpose": "administrative_procedure"}
    kwargs: dict[str, Any] = {}
    if case.where == "query":
        kwargs["params"] = {case.name: str(value)}
    elif case.where == "form":
        kwargs["data"] = {case.name: str(value)}
    elif case.where == "json":
        kwargs["json"] = {case.name: value}
    return client.request(case.method, url, headers=headers, follow_redirects=False, **kwargs)


def test_the_walk_finds_the_integer_inputs_of_every_domain() -> None:
    found = {str(c) for c in CASES}
    assert {
        "GET /api/linkage/jobs/{job_id} path:job_id",
        "GET /api/linkage/queue query:page",
        "GET /api/registry/citizens query:page",
        "POST /api/registry/cards/{card_id}/{action} path:card_id",
        "GET /registry/search query:page",
        "GET /linkage/queue query:source_id",
        "POST /linkage/queue/{result_id}/accept form:page",
        "POST /account/passkeys/{passkey_id}/remove path:passkey_id",
    } <= found


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_number_out_of_range_is_422_naming_the_field(client: TestClient, case: Case) -> None:
    token = _csrf(client)
    for value in case.bad_values:
        response = _send(client, case, value, token)
        assert response.status_code == 422, (value, response.status_code, response.text[:300])
        if case.path.startswith("/api/"):
            answer = response.json()
            assert answer["code"] == "request.invalid"
            named = {(e["field"], e["code"]) for e in answer["errors"]}
            assert (case.name, "number.out_of_range") in named, (value, answer)
        else:
            assert response.headers["content-type"].startswith("text/html")
            assert 'data-testid="error"' in response.text


@pytest.mark.parametrize("case", [c for c in CASES if c.where == "path"], ids=str)
def test_the_largest_id_is_looked_up_not_refused(client: TestClient, case: Case) -> None:
    """2**63 - 1 still fits a BIGINT: it answers like any unknown id, and never 500."""
    response = _send(client, case, MAX_ID, _csrf(client))
    assert response.status_code < 500, response.text[:300]
    if response.status_code == 422 and case.path.startswith("/api/"):  # another field missing
        assert case.name not in {e["field"] for e in response.json()["errors"]}


def test_a_page_out_of_range_speaks_vietnamese(client: TestClient) -> None:
    response = client.get(f"/linkage/queue?page={HUGE_PAGE}", headers=bearer(EVERYONE))
    assert response.status_code == 422
    assert 'data-code="number.out_of_range"' in response.text
    assert "Số nằm ngoài khoảng cho phép" in response.text
