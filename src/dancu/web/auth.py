"""Who is acting: from the signed session cookie (pages) or a bearer token (API).

Pages: the e-ID sign-in (``identity/auth/session.py``) puts the officer's roles and units in the
signed cookie session; ``current_actor`` reads them without I/O.

API: ``Authorization: Bearer <access token>`` (or ``DPoP <token>`` with a ``DPoP`` proof)
carries an access token of the OpenID Connect provider. This layer cannot read tokens (the
identity domain sits above it), so the app installs a verifier on
``app.state.bearer_verifier`` (``identity.oidc.bearer.verify``); it runs in the thread pool
on the request's own database session and returns a ``BearerGrant``: the actor and the
token's scopes (and, for a partner, its allowed purposes). The scope each router needs is
declared with ``api_scopes`` where the router is mounted; a token without it gets 403
``auth.insufficient_scope``, and an access token on a route that declares no scope is
refused the same way (fail closed).

Development tokens (``dancu dev-token``: an actor signed with the secret key) are accepted
only while ``dev_tokens_allowed`` (``DANCU_DEV_LOGIN`` on, never in production); otherwise
they are just unknown tokens (401).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from dancu.common.access import Actor
from dancu.common.errors import DancuError, ErrorCode, Forbidden, NotAuthenticated
from dancu.settings import Settings, get_settings
from dancu.web.public_url import public_url

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

TOKEN_MAX_AGE = 12 * 3600
_SALT = "dancu.actor-token"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerGrant(Protocol):
    """What a verified access token allows: who acts, with which scopes and purposes."""

    @property
    def actor(self) -> Actor: ...
    @property
    def scopes(self) -> frozenset[str]: ...
    @property
    def purposes(self) -> frozenset[str]: ...
    @property
    def partner(self) -> bool:  # a client acting for itself: only its bound purposes
        ...


class BearerVerifier(Protocol):
    def __call__(
        self,
        session: Session,
        scheme: str,
        token: str,
        *,
        dpop_proofs: Iterable[str],
        method: str,
        url: str,
    ) -> BearerGrant:
        """``scheme`` is ``bearer`` or ``dpop``; ``dpop_proofs``, ``method`` and ``url`` (the
        public URL) are what a DPoP proof is checked against. Refuses with
        ``NotAuthenticated`` or ``Forbidden`` whose params may name the challenge's ``scheme``
        and ``error``."""
        ...


def app_settings(request: Request) -> Settings:
    """The settings the serving app was created with (``create_app(settings)``)."""
    return getattr(request.app.state, "settings", None) or get_settings()


def dev_tokens_allowed(settings: Settings) -> bool:
    """Development tokens and the development sign-in: never in production."""
    return settings.dev_login and settings.env != "production"


# -- errors with an RFC 6750 challenge ------------------------------------------------------


def with_challenge(exc: DancuError, scheme: str = "Bearer") -> DancuError:
    """Give a refusal its ``WWW-Authenticate`` header (rendered by ``web/errors.py``)."""
    scheme = str(exc.params.get("scheme", scheme))
    error = str(exc.params.get("error", "invalid_token"))
    challenge = f'{scheme} error="{error}"'
    if isinstance(exc, NotAuthenticated):
        challenge += f', error_description="{exc.message}"'
    if scope := exc.params.get("scope"):
        challenge += f', scope="{scope}"'
    if scheme == "DPoP":
        challenge += ', algs="ES256 ES384 RS256 PS256 EdDSA"'
    exc.headers = {"WWW-Authenticate": challenge}  # type: ignore[attr-defined]
    return exc


def invalid_token(description: str, *, scheme: str = "Bearer") -> NotAuthenticated:
    exc = NotAuthenticated(description, code=ErrorCode.AUTH_INVALID_TOKEN, scheme=scheme)
    with_challenge(exc)
    return exc


# -- development tokens ---------------------------------------------------------------------


def _serializer(secret_key: str | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key or get_settings().secret_key, salt=_SALT)


def issue_token(actor: Actor, secret_key: str | None = None) -> str:
    """A development bearer token (``dancu dev-token``, tests); see ``dev_tokens_allowed``."""
    return _serializer(secret_key).dumps(actor.to_dict())


def actor_from_token(token: str, secret_key: str | None = None) -> Actor | None:
    try:
        data: dict[str, Any] = _serializer(secret_key).loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    return Actor.from_dict(data)


# -- resolving the actor --------------------------------------------------------------------


def optional_actor(request: Request) -> Actor | None:
    """Who the page is rendered for, if anyone: the cookie session, or in development a
    development bearer token (tests drive pages with them). No I/O: access tokens are for
    the APIs (``current_actor``), not pages."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer " and dev_tokens_allowed(app_settings(request)):
        return actor_from_token(header[7:].strip(), app_settings(request).secret_key)
    data = request.session.get("actor") if "session" in request.scope else None
    return Actor.from_dict(data) if data else None


async def current_actor(request: Request, session: Session) -> Actor:
    """The acting officer or partner; 401 when nobody is signed in.

    ``async`` so that FastAPI runs it on the event loop: the cookie path does no I/O; only
    a bearer token goes to the thread pool (one indexed look-up in ``session``, the
    request's own unit of work).
    """
    scheme, token = _presented(request)
    if scheme in ("bearer", "dpop") and token:
        return _dev_actor(request, scheme, token) or await run_in_threadpool(
            _verified_actor, request, session, scheme, token
        )
    return _signed_in(request)


def actor_in_thread(request: Request, session: Session) -> Actor:
    """``current_actor`` for work already running in the thread pool (``web.deps.ActorWork``):
    the bearer token is looked up here, on ``session``, without a hop of its own."""
    scheme, token = _presented(request)
    if scheme in ("bearer", "dpop") and token:
        return _dev_actor(request, scheme, token) or _verified_actor(
            request, session, scheme, token
        )
    return _signed_in(request)


def presents_dpop(request: Request) -> bool:
    """Whether the request's credential is a DPoP-bound token (its proof is recorded)."""
    return _presented(request)[0] == "dpop"


def _presented(request: Request) -> tuple[str, str]:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower(), token.strip()


def _signed_in(request: Request) -> Actor:
    actor = optional_actor(request)
    if actor is None:
        exc = NotAuthenticated("Sign in first", code=ErrorCode.AUTH_REQUIRED)
        exc.headers = {"WWW-Authenticate": 'Bearer realm="dancu"'}  # type: ignore[attr-defined]
        raise exc
    return actor


def _dev_actor(request: Request, scheme: str, token: str) -> Actor | None:
    settings = app_settings(request)
    if scheme == "bearer" and "." in token and dev_tokens_allowed(settings):
        return actor_from_token(token, settings.secret_key)
    return None


def _verified_actor(request: Request, session: Session, scheme: str, token: str) -> Actor:
    """The access token checked by the app's verifier (in the thread pool: it reads the
    database), then the route's scope and, for a partner, the purpose."""
    verifier: BearerVerifier | None = getattr(request.app.state, "bearer_verifier", None)
    if verifier is None:
        raise invalid_token("This server accepts no access tokens")
    challenge = "DPoP" if scheme == "dpop" else "Bearer"
    try:
        grant = verifier(
            session,
            scheme,
            token,
            dpop_proofs=request.headers.getlist("dpop"),
            method=request.method,
            url=public_url(request),
        )
        _check_scope(request, grant, challenge)
        if grant.partner:
            _check_purpose(request, grant, challenge)
    except (NotAuthenticated, Forbidden) as exc:
        raise with_challenge(exc, challenge) from None
    return grant.actor


@dataclass(frozen=True, slots=True)
class ApiScopes:
    """A router dependency: the scope an access token needs here (``write`` for changes).
    ``web/openapi.py`` reads it to declare each operation's security requirement."""

    read: str
    write: str

    def needed(self, method: str) -> str:
        return self.read if method.upper() in _READS else self.write

    async def __call__(self, request: Request) -> None:
        request.state.api_scope = self.needed(request.method)


def api_scopes(read: str, write: str | None = None) -> ApiScopes:
    """``ApiScopes(read, write)``; one scope for every method when ``write`` is omitted."""
    return ApiScopes(read, write or read)


def _check_scope(request: Request, grant: BearerGrant, scheme: str) -> None:
    needed: str | None = getattr(request.state, "api_scope", None)
    if needed is None or needed not in grant.scopes:
        raise Forbidden(
            f"The token's scope does not allow this API (needs {needed or 'an API scope'})",
            code=ErrorCode.AUTH_INSUFFICIENT_SCOPE,
            scheme=scheme,
            error="insufficient_scope",
            scope=needed or "",
        )


def _check_purpose(request: Request, grant: BearerGrant, scheme: str) -> None:
    """A partner reads personal data only for the purposes it was registered with."""
    named = {request.headers.get("x-purpose"), request.query_params.get("purpose")} - {None, ""}
    if refused := sorted(p for p in named if p not in grant.purposes):
        raise Forbidden(
            f"This partner may not read data for {refused[0]!r}",
            code=ErrorCode.AUTH_PURPOSE_NOT_ALLOWED,
            scheme=scheme,
            error="insufficient_scope",
            purpose=refused[0],
        )


def sign_in(request: Request, actor: Actor) -> None:
    request.session.clear()
    request.session["actor"] = actor.to_dict()
