"""Cross-site request forgery guard: a per-session token that every form POST carries.

Pages put ``csrf_token(request)`` in a hidden ``csrf_token`` field (or, for ``fetch``, the
``X-CSRF-Token`` header); routes that change state depend on ``require_csrf``, which
refuses a POST whose token is missing or is not this session's. The session cookie is
signed, so another site can neither read nor forge the token.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request

from dancu.common.errors import ErrorCode, Forbidden

SESSION_KEY = "csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"


def csrf_token(request: Request) -> str:
    """This session's token, created on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


async def require_csrf(request: Request) -> None:
    """Refuse the request unless it carries this session's token (form field or header)."""
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if sent is None and request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # Starlette keeps it for the route's Form() fields
            value = form.get(FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise Forbidden(
            "The form has expired or did not come from this site; reload it and try again",
            code=ErrorCode.CSRF_INVALID,
        )


async def require_csrf_unless_bearer(request: Request) -> None:
    """Officer pages: forms carry the session's token; a request authenticated by a bearer
    token (no cookie a forged form could ride on: tests, scripts) needs none."""
    if not request.headers.get("authorization"):
        await require_csrf(request)


CsrfChecked = Annotated[None, Depends(require_csrf)]
