"""The development message sink: the SMS and e-mail outbox as a page.

Mounted by the app factory only with the development sign-in (no SMS gateway is wired in
development, so the codes a citizen would receive are read here)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dancu.common.bounds import Text
from dancu.common.errors import ErrorCode, NotFound
from dancu.identity.accounts import messages
from dancu.identity.pages.common import page
from dancu.web.auth import app_settings
from dancu.web.deps import DbSession

router = APIRouter()


@router.get("/dev/messages", response_class=HTMLResponse)
def message_sink(request: Request, db: DbSession, recipient: Text = "") -> HTMLResponse:
    if not app_settings(request).dev_login:  # not even mounted without it
        raise NotFound("No such page", code=ErrorCode.NOT_FOUND)
    found = messages.latest(db, limit=50, recipient=recipient.strip() or None)
    return page(request, "dev_messages.html", {"messages": found})
