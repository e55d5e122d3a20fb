"""The OpenAPI document (``/openapi.json``), complete enough for a generated client.

FastAPI describes the routes' parameters and bodies; this module adds, in one place, what it
cannot see:

- **how to authenticate**: the provider's OAuth 2.0 flows and OpenID Connect discovery, and
  the two ways to present an access token (``Authorization: Bearer`` and ``Authorization:
  DPoP`` with a ``DPoP`` proof, RFC 9449). An operation that needs an actor (it depends on
  ``web.deps.current_actor``) requires one of them, with the scope its router declares with
  ``web.auth.api_scopes`` (``.read`` for GET, ``.write`` for other methods);
- **the error body** every refusal answers with (``DancuError.to_dict``: ``code``,
  ``message``, ``field``, ``params``; a rejected request adds ``errors``, ``web/errors.py``)
  for 401/403 (operations that need an actor) and 404/409/422/429 (every JSON API
  operation), in place of FastAPI's ``HTTPValidationError``, which this app never sends.

- **the provider's own endpoints** (``identity/oidc/api.py`` declares them with the helpers
  below): userinfo takes an access token with ``openid`` (Bearer or DPoP); the token,
  revocation, introspection and PAR endpoints authenticate the *client* (RFC 6749 2.3,
  OpenID Connect Core 9): ``client_secret_basic`` is HTTP Basic, while ``private_key_jwt``
  (``client_assertion``) and ``none`` (a public client's ``client_id``, with PKCE) travel in
  the form body, which OpenAPI has no security scheme for: those operations declare Basic or
  the body (``{}``), the form's fields, and the allowed methods in
  ``x-client-authentication-methods``. Their refusals are OAuth errors (``OAuthError``);
- **pages**: an operation outside ``/api/`` answers a refusal with an HTML page (or the error
  body when the client accepts JSON, ``web/errors.py``).

Operations keep their own ``responses`` (the exports declare their file types in
``linkage/api.py``); what they declare wins over what is added here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from dancu.web.auth import ApiScopes
from dancu.web.deps import actor_work, current_actor

DISCOVERY = "/.well-known/openid-configuration"
API_PREFIX = "/api/"
ERROR = {"$ref": "#/components/schemas/Error"}
OAUTH_ERROR = {"$ref": "#/components/schemas/OAuthError"}
HTML = {"text/html": {"schema": {"type": "string"}}}
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_FASTAPI_422 = "#/components/schemas/HTTPValidationError"
# What each refusal means, in the words of web/errors.py and docs/identity.md.
REFUSALS = {
    "401": "No credentials, or an unknown, expired or revoked token (`auth.required`,"
    " `auth.invalid_token`); a `WWW-Authenticate` challenge says which scheme",
    "403": "The token lacks the API's scope, the actor a role, or the partner the purpose"
    " (`auth.insufficient_scope`, `auth.no_role`, `auth.purpose_not_allowed`)",
    "404": "Not found, or outside the actor's area (revealing nothing)",
    "409": "The record's state does not allow this change",
    "422": "The request breaks a rule: `field` names it; `errors` lists every broken rule"
    " of a malformed request (`request.invalid`)",
    "429": "Too many attempts: wait before trying again",
}
_AUTHENTICATED = ("401", "403")
_ANY_API = ("404", "409", "422", "429")


def install(app: FastAPI, *, scopes: Mapping[str, str], public_url: str = "") -> None:
    """Make ``app.openapi()`` return the completed document (built once, then cached).
    ``scopes``: every API scope and what it allows; ``public_url``: the issuer, if set."""
    build: Callable[[], dict[str, Any]] = app.openapi  # FastAPI's: cached per routes version

    def openapi() -> dict[str, Any]:
        document = build()
        if "securitySchemes" not in document.get("components", {}):  # freshly built
            complete(document, app.routes, scopes, public_url)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def complete(
    document: dict[str, Any], routes: list[Any], scopes: Mapping[str, str], issuer: str
) -> None:
    """Add the security schemes, the error schema and the error responses to ``document``."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Error"] = _error_schema()
    schemas["OAuthError"] = _oauth_error_schema()
    components["securitySchemes"] = security_schemes(scopes, issuer)
    for route, method, operation in _operations(document, routes):
        responses = operation.setdefault("responses", {})
        statuses: list[str] = ["422"] if "422" in responses else []
        api = (route.path_format or "").startswith(API_PREFIX)
        if api:
            statuses = [*_ANY_API]
        if _needs_actor(route.dependant):
            operation["security"] = _requirement(_scope(route, method))
            statuses = [*_AUTHENTICATED, *statuses]
        for status in statuses:
            _declare_error(responses, status, page=not api)
        operation["responses"] = dict(sorted(responses.items()))
    _drop_unused_validation_schemas(document)


def security_schemes(scopes: Mapping[str, str], issuer: str) -> dict[str, Any]:
    """The provider's OAuth 2.0 flows, its discovery document, and the token schemes."""
    all_scopes = {"openid": "Sign in (OpenID Connect)", **scopes}
    return {
        "oauth2": {
            "type": "oauth2",
            "description": "Access tokens of this server's OpenID provider. An officer's app"
            " uses the authorization code flow (PKCE S256); a partner system client"
            " credentials. Tokens are opaque; a DPoP-bound token must be sent with the DPoP"
            " scheme.",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": f"{issuer}/oidc/authorize",
                    "tokenUrl": f"{issuer}/oidc/token",
                    "refreshUrl": f"{issuer}/oidc/token",
                    "scopes": all_scopes,
                },
                "clientCredentials": {
                    "tokenUrl": f"{issuer}/oidc/token",
                    "refreshUrl": f"{issuer}/oidc/token",
                    "scopes": dict(scopes),
                },
            },
        },
        "openIdConnect": {
            "type": "openIdConnect",
            "openIdConnectUrl": f"{issuer}{DISCOVERY}",
            "description": "The provider's discovery document.",
        },
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer <access token>` (RFC 6750).",
        },
        "dpop": {
            "type": "http",
            "scheme": "DPoP",
            "description": "`Authorization: DPoP <access token>` with one `DPoP` header: a"
            " proof (RFC 9449) for this method and URL, carrying `ath`. Required for a"
            " DPoP-bound token (FAPI 2.0 clients).",
        },
        "clientSecretBasic": {
            "type": "http",
            "scheme": "basic",
            "description": "A client of the provider: `client_secret_basic`, the client id and"
            " secret, form-encoded, as HTTP Basic (RFC 6749 2.3.1). The provider's endpoints"
            " also take `private_key_jwt` and `none` in the form body (see each operation's"
            " `x-client-authentication-methods`).",
        },
    }


def token_requirement(scope: str) -> list[dict[str, list[str]]]:
    """An access token with ``scope``, in any of the ways a token is presented."""
    return _requirement(scope)


def client_authenticated(
    methods: Sequence[str],
    fields: Mapping[str, dict[str, Any]],
    required: Sequence[str] = (),
) -> dict[str, Any]:
    """``openapi_extra`` of a back-channel endpoint: the client authenticates with one of
    ``methods`` (HTTP Basic, or in the form); the form has ``fields`` and the client's."""
    client_fields: dict[str, dict[str, Any]] = {
        "client_id": {"type": "string", "description": "With `none` and `private_key_jwt`."},
        "client_assertion_type": {"type": "string", "enum": [CLIENT_ASSERTION_TYPE]},
        "client_assertion": {
            "type": "string",
            "description": "`private_key_jwt`: a JWT signed with the client's key (RFC 7523).",
        },
    }
    form = {"type": "object", "properties": {**fields, **client_fields}}
    if required:
        form["required"] = list(required)
    body = "`private_key_jwt` or `none` authenticate in the form (no header)"
    return {
        "security": [{"clientSecretBasic": []}, {}],
        "x-client-authentication-methods": list(methods),
        "requestBody": {
            "required": True,
            "description": f"The request's parameters. {body}.",
            "content": {"application/x-www-form-urlencoded": {"schema": form}},
        },
    }


def oauth_responses(
    success: int, description: str, *refusals: int, content: dict[str, Any] | None = None
) -> dict[int | str, dict[str, Any]]:
    """``responses`` of a provider endpoint: its success and its OAuth error answers."""
    why = {
        400: "The request is malformed or the grant is invalid (`error`, RFC 6749 5.2)",
        401: "The client or the token did not authenticate (`invalid_client`, `invalid_token`);"
        " a `WWW-Authenticate` challenge names the scheme",
        403: "The access token lacks the scope (`insufficient_scope`)",
    }
    answers: dict[int | str, dict[str, Any]] = {
        success: {
            "description": description,
            "content": content or {"application/json": {"schema": {"type": "object"}}},
        }
    }
    for status in refusals:
        oauth = {"application/json": {"schema": OAUTH_ERROR}}
        answers[status] = {"description": why[status], "content": oauth}
    return answers


def page_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses`` of a provider page: HTML, a redirect, or a refusal as a page (the error
    body when the client accepts JSON)."""
    answers: dict[int | str, dict[str, Any]] = {
        200: {"description": "The page", "content": HTML},
        303: {"description": "To the client's redirect URI with the outcome, or to sign in"},
    }
    for status in statuses:
        text = "The request is refused" if status == 400 else REFUSALS.get(str(status), "")
        content = {**HTML, "application/json": {"schema": ERROR}}
        answers[status] = {"description": text, "content": content}
    return answers


def _requirement(scope: str | None) -> list[dict[str, list[str]]]:
    """Any one of the schemes, with the scope the operation needs (none declared: fail
    closed, no access token is accepted, ``web.auth``)."""
    needed = [scope] if scope else []
    return [{"oauth2": needed}, {"openIdConnect": needed}, {"bearer": needed}, {"dpop": needed}]


def _error_schema() -> dict[str, Any]:
    return {
        "title": "Error",
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "description": "Stable code (`web/codes.py`)."},
            "message": {"type": "string", "description": "In English; pages translate it."},
            "field": {"type": ["string", "null"], "description": "The input at fault."},
            "params": {"type": "object", "additionalProperties": {"type": "string"}},
            "errors": {
                "type": "array",
                "description": "`request.invalid` only: every broken rule.",
                "items": {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string"},
                        "rule": {"type": "string", "description": "pydantic's rule name"},
                        "code": {"type": "string", "description": "e.g. `number.out_of_range`"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    }


def _oauth_error_schema() -> dict[str, Any]:
    return {
        "title": "OAuthError",
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "RFC 6749 5.2 / RFC 6750 3.1 code."},
            "error_description": {"type": "string"},
        },
    }


def _declare_error(responses: dict[str, Any], status: str, *, page: bool = False) -> None:
    declared = responses.get(status)
    if declared is None or _is_fastapi_validation(declared):
        content: dict[str, Any] = {"application/json": {"schema": ERROR}}
        description = REFUSALS[status]
        if page:  # web/errors.py: a page, unless the client accepts JSON
            content = {**HTML, **content}
            description += " (a page; this body when the client accepts `application/json`)"
        responses[status] = {"description": description, "content": content}


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref") == _FASTAPI_422


def _drop_unused_validation_schemas(document: dict[str, Any]) -> None:
    """FastAPI's validation schemas, once no response refers to them any more."""
    if f'"{_FASTAPI_422}"' not in json.dumps(document.get("paths", {})):
        schemas = document["components"]["schemas"]
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)  # referred to by HTTPValidationError only


def _operations(
    document: dict[str, Any], routes: list[Any]
) -> Iterator[tuple[RouteContext, str, dict[str, Any]]]:
    """Each documented operation with its route as mounted (the router's prefix and
    dependencies included: FastAPI's ``RouteContext``)."""
    paths = document.get("paths", {})
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is not None:
                yield route, method, operation


def _needs_actor(dependant: Dependant) -> bool:
    return dependant.call in (current_actor, actor_work) or any(
        _needs_actor(d) for d in dependant.dependencies
    )


def _scope(route: RouteContext, method: str) -> str | None:
    for depends in route.dependencies:
        if isinstance(depends.dependency, ApiScopes):
            return depends.dependency.needed(method)
    return None
