"""The JSON APIs' bearer tokens are the provider's access tokens.

``verify`` is what ``app.py`` installs as ``web.auth``'s bearer verifier: it turns an
``Authorization: Bearer <access token>`` (or ``DPoP <token>`` with a proof) into the
``Actor`` the API acts for, and the token's scopes.

- A token issued to a signed-in officer (code flow) acts as that officer: the roles and
  units of their live grants (``officers.actor_for``), read again on every request.
- A client-credentials token acts as the partner bound to the client at registration
  (``dancu identity client add --partner-role ...``): its roles, units, organization and
  allowed purposes, stored in ``oidc_client_partner``, also read on every request, so
  unbinding a partner or deactivating its client takes effect at once.

Unknown, expired and revoked tokens, and DPoP-bound tokens without their key's proof, get
401 with a ``WWW-Authenticate`` challenge; a token that is valid but acts for nobody with a
role gets 403 ``auth.no_role``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.common.errors import ErrorCode, Forbidden, NotAuthenticated
from dancu.db import utcnow
from dancu.identity.accounts import officers
from dancu.identity.accounts.models import Account
from dancu.identity.auth import session as logins
from dancu.identity.auth.models import LoginSession
from dancu.identity.oidc import tokens as oidc_tokens
from dancu.identity.oidc.dpop import DPoPError, verify_proof
from dancu.identity.oidc.models import ClientPartner, OidcClient, OidcToken
from dancu.identity.oidc.partners import PARTNER_ROLE_BY_VALUE

# The APIs' scopes: GET/HEAD needs the ``.read`` one, any other method the ``.write`` one
# (``app.py`` declares them per router with ``web.auth.api_scopes``).
API_SCOPES: dict[str, str] = {
    "registry.read": "Read the population registry (look-ups, searches, households)",
    "registry.write": "Record civil-status events and manage ID cards",
    "linkage.read": "Read sector-data sync rates, reports and the cleaning queue",
    "linkage.write": "Import sector data, run linkage, work the cleaning queue",
    "wallet.manage": "Revoke wallet documents",
    "procedures.read": "Read the dossier queues, dossiers and public-service figures",
    "procedures.write": "Work dossiers: lock, process, request supplements, approve, refuse",
    "procedures.npsp": "Submit dossiers received by the National Public Service Portal",
    "exchange.registries.write": "Create records through the GovStack Digital Registries API",
    "exchange.use": "Use population data through the exchange door, within the partner's purposes",
    "payments.read": "Read social-payment programmes, the area's beneficiaries and cycles",
}


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a verified access token allows (``web.auth.BearerGrant``)."""

    actor: Actor
    scopes: frozenset[str]
    purposes: frozenset[str] = field(default_factory=frozenset)
    partner: bool = False  # a client acting for itself: only its bound purposes


def invalid_token(
    description: str, *, scheme: str = "Bearer", error: str = "invalid_token"
) -> NotAuthenticated:
    """401; ``web.auth`` turns ``scheme`` and ``error`` into the WWW-Authenticate challenge."""
    return NotAuthenticated(
        description, code=ErrorCode.AUTH_INVALID_TOKEN, scheme=scheme, error=error
    )


def no_role(description: str, scheme: str) -> Forbidden:
    return Forbidden(
        description, code=ErrorCode.AUTH_NO_ROLE, scheme=scheme, error="insufficient_scope"
    )


# -- binding (the CLI) ----------------------------------------------------------------------


# -- verification (every API request with a bearer) -----------------------------------------

_T, _C, _P = OidcToken.__table__, OidcClient.__table__, ClientPartner.__table__
_LS = LoginSession.__table__
# One statement per request, built once (SQLAlchemy's compiled cache): the token, whether its
# client is still active, the partner bound to it, and whether the login session behind an
# account's token (code flow: ``sid``) is still in force (``logins.LIVE``). A client's own
# token (client credentials) has no session.
_LOOKUP = (
    select(
        _T.c.client_id,
        _T.c.account_id,
        _T.c.scope,
        _T.c.jkt,
        _T.c.expires_at,
        _T.c.revoked_at,
        _C.c.name,
        _P.c.roles,
        _P.c.units,
        _P.c.organization,
        _P.c.purposes,
        or_(_T.c.account_id.is_(None), logins.LIVE).label("session_live"),
    )
    .select_from(
        _T.join(_C, and_(_C.c.client_id == _T.c.client_id, _C.c.active.is_(True)))
        .outerjoin(_P, _P.c.client_id == _T.c.client_id)
        .outerjoin(_LS, _LS.c.public_sid == _T.c.sid)
    )
    .where(_T.c.access_hash == bindparam("key"))
)


@dataclass(frozen=True, slots=True)
class Presented:
    """An access token as a request presented it: the scheme (``bearer`` or ``dpop``), the
    token, the DPoP proof headers, and the method and public URL the proofs must name."""

    scheme: str
    token: str
    dpop_proofs: tuple[str, ...] = ()
    method: str = "GET"
    url: str = ""

    @property
    def challenge(self) -> str:
        return "DPoP" if self.scheme == "dpop" else "Bearer"


def check_token(session: Session, presented: Presented, now: datetime) -> Any:
    """The live token row (with its client and partner) behind a presented access token,
    its DPoP proof checked: the one check of userinfo and the JSON APIs alike. An account's
    token lives only while its login session does (revoked, idle or too old: refused). Refuses with
    ``NotAuthenticated`` (``auth.invalid_token``) carrying the challenge's scheme and error."""
    params = {"key": oidc_tokens.digest(presented.token), **logins.live_bounds(now)}
    row = session.connection().execute(_LOOKUP, params).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise invalid_token(
            "The access token is unknown, expired or revoked", scheme=presented.challenge
        )
    if not row.session_live:
        raise invalid_token(
            "The sign-in session this token was issued under has ended",
            scheme=presented.challenge,
        )
    if row.jkt is not None or presented.scheme == "dpop":
        _check_dpop(session, presented, row.jkt, now)
    return row


def verify(
    session: Session,
    scheme: str,
    token: str,
    *,
    dpop_proofs: Iterable[str] = (),
    method: str = "GET",
    url: str = "",
    now: datetime | None = None,
) -> TokenGrant:
    """The actor and scopes of a presented access token (``web.auth``'s bearer verifier)."""
    presented = Presented(scheme, token, tuple(dpop_proofs), method, url)
    return _verified(session, presented, now or utcnow())[0]


def _verified(session: Session, presented: Presented, now: datetime) -> tuple[TokenGrant, Any]:
    """The grant and the token row it was read from."""
    challenge = presented.challenge
    row = check_token(session, presented, now)
    scopes = frozenset(row.scope.split())
    if row.account_id is not None:
        return TokenGrant(_officer(session, row.account_id, challenge), scopes), row
    # A stored role that no longer exists (or ``system``) is skipped, not a 500.
    roles = frozenset(
        PARTNER_ROLE_BY_VALUE[r] for r in row.roles or () if r in PARTNER_ROLE_BY_VALUE
    )
    if not roles:
        raise no_role("This client is bound to no partner role", challenge)
    actor = Actor(
        id=f"client:{row.client_id}",
        name=row.name,
        roles=roles,
        units=tuple(row.units or ()),
        organization=row.organization or "",
        purposes=frozenset(row.purposes or ()),
    )
    return TokenGrant(actor, scopes, frozenset(row.purposes or ()), partner=True), row


class CachedVerifier:
    """``verify`` with a short per-process memory of what plain bearer tokens allow.

    A verified ``Bearer`` token's grant (actor, scopes, purposes) is reused for
    ``seconds`` (and never past the token's own expiry), so a partner's burst of API calls
    on one token costs one token look-up per ``seconds`` instead of one per call. The price
    is revocation: a token revoked, a client deactivated, a partner unbound or its roles
    changed, an officer's roles or units changed, an account closed or a login session
    ended in ANOTHER process (or directly in the database) is still honoured by this
    process for at most ``seconds``. A revocation
    at this process's ``/oidc/revoke`` forgets everything cached here at once (``forget``).
    What is checked per request is not cached: the route's scope, the partner's purpose,
    the area of the read and its audit entry. DPoP-bound tokens are never cached (every
    request carries a new proof to check); refusals are never cached.
    """

    def __init__(
        self,
        seconds: float,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.ttl = timedelta(seconds=seconds)
        self.max_entries = max_entries
        self.clock = clock
        self._grants: dict[str, tuple[datetime, TokenGrant]] = {}

    def __call__(
        self,
        session: Session,
        scheme: str,
        token: str,
        *,
        dpop_proofs: Iterable[str] = (),
        method: str = "GET",
        url: str = "",
    ) -> TokenGrant:
        now = self.clock()
        presented = Presented(scheme, token, tuple(dpop_proofs), method, url)
        if scheme != "bearer":
            return _verified(session, presented, now)[0]
        key = oidc_tokens.digest(token)
        hit = self._grants.get(key)
        if hit is not None and now < hit[0]:
            return hit[1]
        grant, row = _verified(session, presented, now)
        if row.jkt is None:
            if len(self._grants) >= self.max_entries:
                self._grants.clear()  # rare; a bound on memory, not an eviction policy
            self._grants[key] = (min(now + self.ttl, row.expires_at), grant)
        return grant

    def forget(self) -> None:
        """Drop every cached grant (a revocation in this process)."""
        self._grants.clear()


def forget_cached_grants(verifier: object) -> None:
    """``CachedVerifier.forget`` when ``verifier`` (an app's bearer verifier) caches."""
    if isinstance(verifier, CachedVerifier):
        verifier.forget()


def _check_dpop(session: Session, presented: Presented, jkt: str | None, now: datetime) -> None:
    if presented.scheme != "dpop" or jkt is None:
        raise invalid_token("This token must be presented with DPoP", scheme="DPoP")
    try:
        proof_jkt = verify_proof(
            session,
            list(presented.dpop_proofs),
            method=presented.method,
            url=presented.url,
            access_token=presented.token,
            now=now,
        )
    except DPoPError as exc:
        raise invalid_token(exc.description, scheme="DPoP", error=exc.error) from exc
    if proof_jkt != jkt:
        raise invalid_token("The DPoP key is not the token's key", scheme="DPoP")


def _officer(session: Session, account_id: int, challenge: str) -> Actor:
    account = session.get(Account, account_id)
    if account is None or account.status != "active":
        raise invalid_token("The account is no longer active", scheme=challenge)
    actor = officers.actor_for(session, account)
    if not actor.roles:
        raise no_role("The signed-in account holds no officer role", challenge)
    return actor
