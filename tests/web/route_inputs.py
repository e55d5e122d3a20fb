"""The inputs of every route, read from the app: a walk that covers tomorrow's routes too.

``inputs(app, accepts)`` lists, for every route, each path parameter, query parameter, form
field and field of a JSON body whose annotation ``accepts`` (``is_int``, ``is_str``), with
a valid value for every other path parameter, and ``send`` puts one value into one of them.
Used by ``test_bad_numbers.py`` and ``test_bad_text.py``.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union
from urllib.parse import quote

from fastapi import FastAPI, params
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import BaseModel

from dancu.common.access import Role
from tests.conftest import bearer, make_actor

EVERYONE = make_actor(*Role, units=(), name="Fuzzer")  # every permission, nationwide
Where = Literal["path", "query", "form", "json"]


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # with {placeholders}
    where: Where
    name: str
    defaults: tuple[tuple[str, str], ...]  # a valid value for every path parameter

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.where}:{self.name}"


def _is(kind: type, annotation: Any) -> bool:
    if annotation is kind:
        return True
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _is(kind, args[0])
    if origin in (Union, types.UnionType):
        return any(_is(kind, a) for a in args if a is not type(None))
    return False


def is_int(annotation: Any) -> bool:
    return _is(int, annotation)


def is_str(annotation: Any) -> bool:
    return _is(str, annotation)


def _sample(annotation: Any) -> str:
    """A value a path parameter accepts, so that only the input under test is wrong."""
    if typing.get_origin(annotation) is Literal:
        return str(typing.get_args(annotation)[0])
    return "1"


def _models(annotation: Any) -> list[type[BaseModel]]:
    found = [a for a in (annotation, *typing.get_args(annotation)) if isinstance(a, type)]
    return [a for a in found if issubclass(a, BaseModel)]


def _walk(method: str, path: str, dependant: Any, accepts: Callable[[Any], bool]) -> list[Case]:
    defaults = tuple((p.alias, _sample(p.field_info.annotation)) for p in dependant.path_params)
    cases = []

    def add(where: Where, name: str) -> None:
        cases.append(Case(method, path, where, name, defaults))

    for p in dependant.path_params:
        if accepts(p.field_info.annotation):
            add("path", p.alias)
    for p in dependant.query_params:
        if accepts(p.field_info.annotation):
            add("query", p.alias)
    for p in dependant.body_params:
        if isinstance(p.field_info, params.Form) and accepts(p.field_info.annotation):
            add("form", p.alias)
        for model in _models(p.field_info.annotation):
            for name, field in model.model_fields.items():
                if accepts(field.annotation):
                    add("json", field.alias or name)
    for sub in dependant.dependencies:
        cases.extend(_walk(method, path, sub, accepts))
    return cases


def inputs(app: FastAPI, accepts: Callable[[Any], bool]) -> list[Case]:
    cases: list[Case] = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        method = sorted(m for m in context.methods if m != "HEAD")[0]
        cases.extend(_walk(method, context.path, context.dependant, accepts))
    return sorted(set(cases), key=str)


def csrf(client: TestClient) -> str:
    """The session's CSRF token, from the sign-out form of an officer's page."""
    page = client.get("/registry/search", headers=bearer(EVERYONE))
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the officer's page carries the session's CSRF token"
    return found.group(1)


def send(client: TestClient, case: Case, value: Any, token: str) -> Response:
    """``case``'s request, signed in as ``EVERYONE``, with ``value`` in the input under test."""
    values = dict(case.defaults)
    if case.where == "path":
        values[case.name] = quote(str(value), safe="")
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
