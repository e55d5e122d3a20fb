"""Storage of codes and tokens, and the records Authlib reads them through.

Every secret is kept as a SHA-256 digest. State changes are single conditional UPDATEs, so
two racing requests cannot both use one code or one refresh token:

- a code is claimed (``used_at``) by the exchange; a second use finds it claimed and
  revokes every token issued from it (RFC 6749 section 4.1.2);
- a refresh token is claimed (``refreshed_at``) when it is rotated; presenting it again is
  reuse, and the whole family (every token of that authorization) is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2 import OAuth2Request
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, TokenMixin
from sqlalchemy import bindparam, delete, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from dancu.db import utcnow
from dancu.identity.accounts.models import Account
from dancu.identity.auth import session as logins
from dancu.identity.auth.models import LoginSession
from dancu.identity.keys import service as keys
from dancu.identity.oidc import claims
from dancu.identity.oidc.clients import CLIENT_CACHE, RegisteredClient, StaleClient
from dancu.identity.oidc.models import (
    AuthorizationCode,
    OidcClient,
    OidcToken,
    PushedRequest,
    SeenJti,
)
from dancu.identity.oidc.subject import Subject, downgraded_acr

CODE_SECONDS = 120
REFRESH_DAYS = 14

# The grant path runs these on every token request: built once, so SQLAlchemy finds them in
# its compiled cache instead of rebuilding and re-keying an ORM statement each time (that
# was most of a grant's CPU). Rows come back as Core rows with the same attribute names.
# Each claim also returns what the grant reads next, in the same round trip: the code claim
# the id of the current ID-token signing key (``keys.signing_key``), the refresh claim the
# account's status (a closed account refreshes nothing) and whether the login session the
# family was issued under is still in force (``logins.LIVE``: an ended sign-in refreshes
# nothing either). All are read in the claiming transaction, as separate SELECTs would be.
_CODES = AuthorizationCode.__table__
_TOKENS = OidcToken.__table__
_ACCOUNTS = Account.__table__.alias("owner")  # named, so SQLite's RETURNING stays unambiguous
ID_TOKEN_KEYS = "oidc"  # the signing-key purpose of ID tokens
_CLAIM_CODE = (
    update(_CODES)
    .where(
        _CODES.c.code_hash == bindparam("key"),
        _CODES.c.client_id == bindparam("client"),
        _CODES.c.used_at.is_(None),
    )
    .values(used_at=bindparam("now"))
    .returning(*_CODES.c, keys.current_kid(ID_TOKEN_KEYS).label("signing_kid"))
)
_ACCOUNT_STATUS = (
    select(_ACCOUNTS.c.status)
    .where(_ACCOUNTS.c.id == _TOKENS.c.account_id)
    .correlate(_TOKENS)
    .scalar_subquery()
)
_SESSIONS = LoginSession.__table__
_SESSION_LIVE = or_(  # a client's own token (client credentials) has no login session
    _TOKENS.c.account_id.is_(None),
    exists().where(_SESSIONS.c.public_sid == _TOKENS.c.sid, logins.LIVE).correlate(_TOKENS),
)
_TOUCH_SESSION = (
    update(_SESSIONS)
    .where(_SESSIONS.c.public_sid == bindparam("sid"))
    .values(last_seen_at=bindparam("now"))
)
_CLAIM_REFRESH = (
    update(_TOKENS)
    .where(
        _TOKENS.c.refresh_hash == bindparam("key"),
        _TOKENS.c.refreshed_at.is_(None),
        _TOKENS.c.revoked_at.is_(None),
        _TOKENS.c.jkt.is_(None) | (_TOKENS.c.jkt == bindparam("proof_jkt")),
    )
    .values(refreshed_at=bindparam("now"), revoked_at=bindparam("now"))
    .returning(
        *_TOKENS.c, _ACCOUNT_STATUS.label("account_status"), _SESSION_LIVE.label("session_live")
    )
)
# PostgreSQL: the claim and the touch of its login session in one statement (a
# data-modifying CTE), one round trip fewer per refresh; SQLite runs the two.
_CLAIMED = _CLAIM_REFRESH.cte("claimed")
_CLAIM_AND_TOUCH = select(_CLAIMED).add_cte(
    update(_SESSIONS)
    .where(
        _SESSIONS.c.public_sid == _CLAIMED.c.sid,
        _CLAIMED.c.account_id.is_not(None),
        _CLAIMED.c.session_live,
        _CLAIMED.c.refresh_expires_at > bindparam("now"),
    )
    .values(last_seen_at=bindparam("now"))
    .cte("touched")
)
_INSERT_TOKEN = insert(_TOKENS)
_CLIENTS = OidcClient.__table__
_SAVED = tuple(c.name for c in _TOKENS.c if c.name not in ("id", "refreshed_at", "revoked_at"))
# The same INSERT for a grant authenticated on a cached client (clients.ClientCache): it
# writes the token only if the client is still active at the version that was cached.
_INSERT_TOKEN_IF_CURRENT = (
    insert(_TOKENS)
    .execution_options(preserve_rowcount=True)  # SQLAlchemy keeps it for UPDATE/DELETE only
    .from_select(
        _SAVED,
        select(*(bindparam(name, type_=_TOKENS.c[name].type) for name in _SAVED)).where(
            exists().where(
                _CLIENTS.c.client_id == bindparam("client_id"),
                _CLIENTS.c.version == bindparam("client_version"),
                _CLIENTS.c.active.is_(True),
            )
        ),
    )
)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class CodeRecord(AuthorizationCodeMixin):
    def __init__(self, row: Any) -> None:  # an ``oidc_code`` row (Core)
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return self.row.auth_time

    def get_acr(self) -> str:
        return self.row.acr

    def get_amr(self) -> list[str]:
        return list(self.row.amr)

    def subject(self) -> Subject:
        r = self.row
        return Subject(
            account_id=r.account_id,
            pid=None,
            sid=r.sid,
            auth_time=r.auth_time,
            acr=r.acr,
            amr=tuple(r.amr),
            step_up_until=r.step_up_until,
        )


class TokenRecord(TokenMixin):
    def __init__(self, row: Any, now: datetime, *, is_refresh: bool = False) -> None:
        self.row, self.now, self.is_refresh = row, now, is_refresh

    def check_client(self, client: RegisteredClient) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        ends = self.row.refresh_expires_at if self.is_refresh else self.row.expires_at
        return ends is None or ends <= self.now

    def is_revoked(self) -> bool:
        if self.row.revoked_at is not None:
            return True
        return self.is_refresh and self.row.refreshed_at is not None

    def get_user(self) -> int | None:
        return self.row.account_id

    def get_client(self) -> Any:
        return self.row.client_id

    def subject(self, now: int) -> Subject | None:
        r = self.row
        if r.account_id is None:
            return None
        return Subject(
            account_id=r.account_id,
            pid=None,
            sid=r.sid or "",
            auth_time=r.auth_time or 0,
            acr=downgraded_acr(r.acr, r.step_up_until, now) or "",
            amr=tuple(r.amr),
            step_up_until=r.step_up_until,
        )

    def introspection(self, issuer: str, subject_type: str) -> dict[str, Any]:
        r = self.row
        body: dict[str, Any] = {
            "active": True,
            "iss": issuer,
            "client_id": r.client_id,
            "scope": r.scope,
            "token_type": r.token_type,
            "iat": int(r.issued_at.timestamp()),
            "exp": int(r.expires_at.timestamp()),
        }
        if r.account_id is not None:
            body["sub"] = claims.subject(r.account_id, r.client_id, subject_type)
            body["acr"] = r.acr
            body["auth_time"] = r.auth_time
        if r.jkt:
            body["cnf"] = {"jkt": r.jkt}
        return body


def save_code(session: Session, code: str, request: OAuth2Request, *, now: datetime) -> None:
    user = request.user
    data = request.payload.data
    session.add(
        AuthorizationCode(
            code_hash=digest(code),
            client_id=request.client.get_client_id(),
            account_id=user.account_id,
            sid=user.sid,
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope or "",
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method") or "S256",
            dpop_jkt=data.get("dpop_jkt"),
            auth_time=user.auth_time,
            acr=user.acr,
            amr=list(user.amr),
            step_up_until=user.step_up_until,
            expires_at=now + timedelta(seconds=CODE_SECONDS),
        )
    )
    session.flush()


def claim_code(
    session: Session, code: str, client: RegisteredClient, *, now: datetime
) -> CodeRecord | None:
    """Mark the code used and return it (one UPDATE ... RETURNING); a second use of a code
    revokes every token the first use got."""
    key = digest(code)
    params = {"key": key, "client": client.client_id, "now": now}
    row = session.connection().execute(_CLAIM_CODE, params).first()
    if row is None:  # (the refusal's statement is built only here: ~10% of a grant's CPU)
        mine = (AuthorizationCode.code_hash == key, AuthorizationCode.client_id == client.client_id)
        if session.scalar(select(AuthorizationCode.code_hash).where(*mine)) is not None:
            _revoke_where(session, OidcToken.code_hash == key, now)  # used twice
        return None
    return CodeRecord(row) if row.expires_at > now else None


def claim_refresh(
    session: Session, refresh_token: str, jkt: str | None, now: datetime
) -> TokenRecord | None:
    """Rotate: claim the refresh token once (one UPDATE ... RETURNING); presenting a rotated
    one again revokes the whole family. A DPoP-bound one is only claimed with its key. An
    account's refresh also counts as activity of its live login session (``last_seen_at``),
    as the authorization endpoint's ``load_login`` does."""
    key = digest(refresh_token)
    params = {"key": key, "proof_jkt": jkt, "now": now, **logins.live_bounds(now)}
    connection = session.connection()
    touched = connection.dialect.name == "postgresql"
    row = connection.execute(_CLAIM_AND_TOUCH if touched else _CLAIM_REFRESH, params).first()
    if row is None:
        known = session.execute(
            select(OidcToken.family, OidcToken.jkt, OidcToken.refreshed_at).where(
                OidcToken.refresh_hash == key
            )
        ).first()
        if known is not None and known.refreshed_at is not None and known.jkt in (None, jkt):
            _revoke_where(session, OidcToken.family == known.family, now)  # reuse
        return None
    if row.refresh_expires_at is None or row.refresh_expires_at <= now:
        return None
    if row.account_id is not None and row.session_live and not touched:  # in use: not idle
        connection.execute(_TOUCH_SESSION, {"sid": row.sid, "now": now})
    return TokenRecord(row, now, is_refresh=True)


def save(
    session: Session,
    token: dict[str, Any],
    request: OAuth2Request,
    *,
    jkt: str | None,
    now: datetime,
) -> None:
    client: RegisteredClient = request.client
    user = request.user
    parent: TokenRecord | None = request.refresh_token
    code: CodeRecord | None = request.authorization_code
    source = parent.row if parent is not None else (code.row if code is not None else None)
    refresh = token.get("refresh_token")
    values = dict(
        client_id=client.get_client_id(),
        account_id=getattr(user, "account_id", None),
        access_hash=digest(token["access_token"]),
        refresh_hash=digest(refresh) if refresh else None,
        family=parent.row.family if parent is not None else secrets.token_hex(16),
        code_hash=code.row.code_hash if code is not None else None,
        scope=token.get("scope", ""),
        token_type=token["token_type"],
        jkt=jkt,
        sid=getattr(user, "sid", None),
        acr=getattr(user, "acr", None),
        amr=list(getattr(user, "amr", ())),
        auth_time=getattr(user, "auth_time", None),
        step_up_until=getattr(source, "step_up_until", None),
        issued_at=now,
        expires_at=now + timedelta(seconds=int(token["expires_in"])),
        refresh_expires_at=(
            parent.row.refresh_expires_at
            if parent is not None
            else now + timedelta(days=REFRESH_DAYS)
            if refresh
            else None
        ),
    )
    if not client.cached:
        session.connection().execute(_INSERT_TOKEN, values)
        return
    stored = session.connection().execute(
        _INSERT_TOKEN_IF_CURRENT, {**values, "client_version": client.row.version}
    )
    if stored.rowcount != 1:  # the client changed since it was cached: run the grant again
        CLIENT_CACHE.drop(client.client_id)
        raise StaleClient(client.client_id)


def find(
    session: Session, token: str, hint: str | None, now: datetime | None = None
) -> TokenRecord | None:
    now = now or utcnow()
    key = digest(token)
    order = (
        ("refresh_token", "access_token")
        if hint == "refresh_token"
        else ("access_token", "refresh_token")
    )
    for kind in order:
        column = OidcToken.refresh_hash if kind == "refresh_token" else OidcToken.access_hash
        row = session.scalars(select(OidcToken).where(column == key)).first()
        if row is not None:
            return TokenRecord(row, now, is_refresh=kind == "refresh_token")
    return None


def active_access_token(session: Session, token: str, now: datetime) -> OidcToken | None:
    row = session.scalars(select(OidcToken).where(OidcToken.access_hash == digest(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


def revoke(session: Session, token: TokenRecord, *, now: datetime) -> None:
    """Revoking a refresh token ends its whole family; an access token, itself."""
    if token.is_refresh:
        _revoke_where(session, OidcToken.family == token.row.family, now)
    else:
        _revoke_where(session, OidcToken.id == token.row.id, now)


def revoke_for_login(session: Session, sid: str, *, now: datetime) -> None:
    """Revoke every token issued under one login session (``sid``: its public digest), as
    signing out of that session does, and spend its unused codes, so a code issued just
    before the logout cannot be exchanged after it."""
    _revoke_where(session, OidcToken.sid == sid, now)
    session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.sid == sid, AuthorizationCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def _revoke_where(session: Session, condition: Any, now: datetime) -> None:
    session.execute(
        update(OidcToken)
        .where(condition, OidcToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def purge_expired(session: Session, now: datetime, *, keep: timedelta = timedelta(days=1)) -> int:
    """Delete what can no longer be used: old codes, pushed requests, seen JWT ids, and
    token rows whose refresh (or access) lifetime ended more than ``keep`` ago."""
    cutoff = now - keep
    deleted = 0
    for stmt in (
        delete(AuthorizationCode).where(AuthorizationCode.expires_at < cutoff),
        delete(PushedRequest).where(PushedRequest.expires_at < cutoff),
        delete(SeenJti).where(SeenJti.expires_at < now),
        delete(OidcToken).where(
            (OidcToken.refresh_expires_at < cutoff)
            | (OidcToken.refresh_expires_at.is_(None) & (OidcToken.expires_at < cutoff))
        ),
    ):
        deleted += int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
    return deleted
