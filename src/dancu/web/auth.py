"""Who is acting: from the signed session cookie (pages) or a signed bearer token (API).

Until the identity domain provides OpenID Connect sign-in, actors come from the
development sign-in page or from ``dancu dev-token``; both sign the actor with the
settings' secret key, so an actor cannot be forged without it.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from dancu.common.access import Actor
from dancu.common.errors import NotAuthenticated
from dancu.settings import Settings, get_settings

TOKEN_MAX_AGE = 12 * 3600
_SALT = "dancu.actor-token"


def app_settings(request: Request) -> Settings:
    """The settings the serving app was created with (``create_app(settings)``)."""
    return getattr(request.app.state, "settings", None) or get_settings()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_SALT)


def issue_token(actor: Actor) -> str:
    return _serializer().dumps(actor.to_dict())


def actor_from_token(token: str) -> Actor | None:
    try:
        data: dict[str, Any] = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    return Actor.from_dict(data)


def optional_actor(request: Request) -> Actor | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return actor_from_token(header[7:].strip())
    data = request.session.get("actor") if "session" in request.scope else None
    return Actor.from_dict(data) if data else None


async def current_actor(request: Request) -> Actor:
    """The acting officer; 401 when nobody is signed in.

    ``async`` only so that FastAPI runs it on the event loop: it does no I/O, and a sync
    dependency would cost a hop to the thread pool on every request.
    """
    actor = optional_actor(request)
    if actor is None:
        raise NotAuthenticated("Sign in first", code="auth.required")
    return actor


def sign_in(request: Request, actor: Actor) -> None:
    request.session.clear()
    request.session["actor"] = actor.to_dict()


def sign_out(request: Request) -> None:
    request.session.clear()
