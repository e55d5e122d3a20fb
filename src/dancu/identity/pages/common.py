"""What every identity page shares: rendering with the CSRF token, the signed-in login,
safe redirects, the client's address and the passkey relying party of this site."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit

import segno
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from dancu.common.errors import DancuError, ErrorCode, ValidationFailed
from dancu.identity.accounts.models import Account
from dancu.identity.auth import totp
from dancu.identity.auth.passkeys import RelyingParty
from dancu.identity.auth.session import LOGIN_URL, Login, current_login
from dancu.identity.pages.forms import FIELD_LABELS
from dancu.web.auth import app_settings
from dancu.web.csrf import csrf_token
from dancu.web.redirects import local_path
from dancu.web.templating import render

PASSKEY_BINDING = "passkey_binding"
PENDING_REGISTRATION = "pending_registration"
PENDING_LOGIN = "pending_login"  # {"account": id, "next": url, "at": epoch}


def page(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    ctx = {
        "csrf_token": csrf_token(request),
        "error": None,
        "id_fields": FIELD_LABELS,
        "notice": None,
        **(context or {}),
    }
    return render(request, f"identity/{name}", ctx, status_code=status_code)


def refused(
    request: Request, name: str, error: DancuError, context: dict[str, Any] | None = None
) -> HTMLResponse:
    """The form again, with the error naming its field (the status of the error)."""
    return page(request, name, {**(context or {}), "error": error}, status_code=error.status_code)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path of this site, as every browser reads it (``web/redirects.py``); else the
    home page, which every role can use."""
    return local_path(target, default)


def here(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def login_redirect(target: str) -> RedirectResponse:
    return RedirectResponse(f"{LOGIN_URL}?{urlencode({'next': target})}", status_code=303)


def signed_in(request: Request, db: Session) -> Login:
    """The signed-in account; otherwise the answer is a redirect to the login page."""
    login = current_login(request.session, db, settings=app_settings(request))
    if login is None:
        location = f"{LOGIN_URL}?{urlencode({'next': here(request)})}"
        raise HTTPException(status_code=303, headers={"Location": location})
    return login


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")[:300]


def relying_party(request: Request) -> RelyingParty:
    """Passkeys belong to this site's host name, used from this origin: the configured
    ``identity_passkey_origin``, else the origin of ``public_url``, else (development) the
    origin the request came to."""
    settings = app_settings(request)
    configured = settings.identity_passkey_origin.rstrip("/")
    if not configured and settings.public_url:
        parts = urlsplit(settings.public_url)
        configured = f"{parts.scheme}://{parts.netloc}"
    if configured:
        parts = urlsplit(configured)
        return RelyingParty(id=parts.hostname or "", name="dancu", origin=configured)
    url = request.url
    origin = f"{url.scheme}://{url.netloc}"
    return RelyingParty(id=url.hostname or "localhost", name="dancu", origin=origin)


def passkey_binding(request: Request) -> str:
    """An opaque value kept in this browser's session: passkey challenges are bound to it."""
    value = request.session.get(PASSKEY_BINDING)
    if not isinstance(value, str) or len(value) < 20:
        value = secrets.token_urlsafe(24)
        request.session[PASSKEY_BINDING] = value
    return value


def parse_date(value: str, field: str) -> date:
    """A date typed dd/mm/yyyy (or picked by a date input, yyyy-mm-dd)."""
    text = value.strip().replace(".", "/").replace("-", "/")
    parts = text.split("/")
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        if len(parts) == 3 and len(parts[2]) == 4:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        pass
    raise ValidationFailed(
        "The date must be a real date written dd/mm/yyyy (e.g. 17/05/1990)",
        code=ErrorCode.DATE_INVALID,
        field=field,
    )


def masked_phone(phone: str | None) -> str:
    """A phone number as a page may show it: only its last four digits ("******5678")."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return "******" + digits[-4:] if len(digits) >= 4 else ""


def totp_qr(account: Account) -> str | None:
    """The enrolment QR code (inline SVG) while a secret waits for its first code."""
    if account.totp_secret is None or totp.enabled(account):
        return None
    return segno.make(totp.provisioning_uri(account), error="m").svg_inline(scale=4)
