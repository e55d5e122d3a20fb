"""Turn expected failures into answers: JSON with a stable code for the API, a page otherwise."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response

from dancu.common.errors import DancuError, ErrorCode, NotAuthenticated
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
    context = {"code": exc.code, "message": exc.message, "field": exc.field}
    return render(request, "error.html", context, status_code=exc.status_code)


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
    context = {"code": _rule_code(first), "message": body["message"], "field": field}
    return render(request, "error.html", context, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DancuError, dancu_error)
    app.add_exception_handler(RequestValidationError, request_invalid)
