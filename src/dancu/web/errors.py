"""Turn expected failures into answers: JSON with a stable code for the API, a page otherwise."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response

from dancu.common.errors import DancuError, NotAuthenticated
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


async def request_invalid(request: Request, exc: Exception) -> Response:
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
                "message": e.get("msg"),
            }
            for e in errors
        ],
    }
    if _wants_json(request):
        return JSONResponse(body, status_code=422)
    context = {"code": "request.invalid", "message": body["message"], "field": field}
    return render(request, "error.html", context, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DancuError, dancu_error)
    app.add_exception_handler(RequestValidationError, request_invalid)
