"""Turn failures into answers: JSON with a stable code for the API and for clients that ask
for JSON, otherwise a page in the reader's language that says what happened and leads home.

Expected failures are ``DancuError``s; an unknown address or method (Starlette's
``HTTPException``) gets the kernel's code for its status; anything else is a 500 whose page
names no internal detail.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from dancu.common.errors import DancuError, ErrorCode, NotAuthenticated
from dancu.web import security
from dancu.web.auth import app_settings
from dancu.web.templating import render


def _here(request: Request) -> str:
    """The path and query to come back to after signing in."""
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


async def dancu_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DancuError)
    if _wants_json(request):
        headers = getattr(exc, "headers", None)  # e.g. WWW-Authenticate (web/auth.py)
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)
    if isinstance(exc, NotAuthenticated):  # everyone signs in with e-ID (identity's /login)
        return RedirectResponse(f"/login?{urlencode({'next': _here(request)})}", 303)
    return _page(request, exc.status_code, exc.code, exc.message, field=exc.field)


def _page(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    context = {"code": code, "message": message, "field": field, "status": status}
    response = render(request, "error.html", context, status_code=status)
    response.headers.update(headers or {})
    return response


# The kernel's code for a failure the router or the server raises, by HTTP status.
_STATUS_CODES = {
    401: ErrorCode.AUTH_REQUIRED,
    403: ErrorCode.AUTH_FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    500: ErrorCode.SERVER_ERROR,
}


async def http_error(request: Request, exc: Exception) -> Response:
    """An unknown address (404) or method (405): a page for a browser, JSON with a code for
    the API. A redirect raised as an exception (``identity/pages/common.py``) stays one."""
    assert isinstance(exc, HTTPException)
    if exc.status_code < 400:
        return await http_exception_handler(request, exc)
    if exc.status_code == 400 and exc.detail == _UNPARSED_BODY:
        return _unparsed_body(request, "json_invalid", "the body cannot be parsed (JSON in UTF-8)")
    if exc.status_code == 400 and isinstance(exc.__context__, MultiPartException):
        return _unparsed_body(
            request, "multipart_invalid", f"the form cannot be read: {exc.detail}"
        )
    code = str(_STATUS_CODES.get(exc.status_code, ErrorCode.ERROR))
    message = exc.detail if isinstance(exc.detail, str) else "error"
    headers = dict(exc.headers or {})
    if _wants_json(request):
        body = {"code": code, "message": message}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)
    return _page(request, exc.status_code, code, message, headers=headers)


# FastAPI's and Starlette's 400 for a body they could not read at all (JSON that is not
# UTF-8, a broken multipart form): an input error like any other, so the 422 every
# operation declares.
_UNPARSED_BODY = "There was an error parsing the body"


def _unparsed_body(request: Request, rule: str, text: str) -> Response:
    message = f"body: {text}"
    body = {
        "code": "request.invalid",
        "message": message,
        "field": "body",
        "errors": [{"field": "body", "rule": rule, "code": "request.invalid", "message": message}],
    }
    if _wants_json(request):
        return JSONResponse(body, status_code=422)
    return _page(request, 422, "request.invalid", message, field="body")


async def server_error(request: Request, exc: Exception) -> Response:
    """A failure nobody expected: the server logs it (Starlette re-raises it after this
    answer); the reader gets the code, a sentence and the way home, never the details."""
    code, message = str(ErrorCode.SERVER_ERROR), "Internal server error"
    if _wants_json(request):
        response: Response = JSONResponse({"code": code, "message": message}, status_code=500)
    else:
        response = _page(request, 500, code, message)
    production = app_settings(request).env == "production"
    security.add_headers(response.headers, production=production)  # outside the middleware
    return response


# The code of a broken rule that has its own wording (common/bounds.py's types break these).
_RULE_CODES = {
    "greater_than": ErrorCode.NUMBER_OUT_OF_RANGE,
    "greater_than_equal": ErrorCode.NUMBER_OUT_OF_RANGE,
    "less_than": ErrorCode.NUMBER_OUT_OF_RANGE,
    "less_than_equal": ErrorCode.NUMBER_OUT_OF_RANGE,
    "string_too_long": ErrorCode.TEXT_TOO_LONG,
    "control_character": ErrorCode.TEXT_CONTROL_CHARACTER,
}


def _rule_code(error: Any) -> str:
    return str(_RULE_CODES.get(error.get("type"), "request.invalid"))


async def request_invalid(request: Request, exc: Exception) -> Response:
    """422 naming the field and the rule: ``request.invalid`` with one entry per broken rule
    (its field, pydantic's rule name and a code) in the API, the first one's text on pages."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    field = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
    body = {
        "code": "request.invalid",
        "message": f"{field}: {first.get('msg', 'invalid')}" if field else "invalid request",
        "field": field,
        "errors": [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())[1:]),
                "rule": e.get("type"),
                "code": _rule_code(e),
                "message": e.get("msg"),
            }
            for e in errors
        ],
    }
    if _wants_json(request):
        return JSONResponse(body, status_code=422)
    return _page(request, 422, _rule_code(first), str(body["message"]), field=field)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DancuError, dancu_error)
    app.add_exception_handler(RequestValidationError, request_invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, server_error)
