"""Pages trust a browser's officer role only while its login session lives.

``begin_login`` copies an officer's roles into the cookie session (``actor``), which the
registry and linkage pages read without a query. Revoking the login session (from another
browser, by recovery or by a death) must end that too: this dependency, attached to every
page router, clears the cookie session when its login session is revoked, expired or its
account closed, so the next check sends the browser to sign in again.
"""

from __future__ import annotations

from fastapi import Request

from dancu.identity.auth.session import SESSION_KEY, current_login
from dancu.web.auth import app_settings
from dancu.web.deps import DbSession


def live_login_only(request: Request, db: DbSession) -> None:
    if "session" not in request.scope or not request.session.get(SESSION_KEY):
        return  # no e-ID sign-in behind this browser (anonymous, or a bearer token)
    if current_login(request.session, db, settings=app_settings(request)) is None:
        request.session.clear()
