"""The signing-key store: one current key per purpose, rotation with a verification grace.

Keys are created on first use. ``rotate`` makes a new current key and gives the old one a
``retires_at``: it signs nothing more but stays in the published JWKS (and in
``verification_keys``) until then, so tokens and credentials it signed keep verifying.
Private keys are stored as PEM sealed with AES-256-GCM under a key derived (HKDF-SHA256)
from ``settings.secret_key``; the key id is the associated data, so a sealed key cannot be
swapped onto another row. Nothing here logs key material.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common.errors import ValidationFailed
from dancu.db import utcnow
from dancu.identity.errors import IdentityErrorCode
from dancu.identity.keys import sealing
from dancu.identity.keys.models import SigningKey

Alg = Literal["ES256", "RS256"]
SigningJWK = ECKey | RSAKey
DEFAULT_ALG: Alg = "ES256"
# How long a replaced key keeps verifying: longer than anything it signed lives.
# ID and access tokens live minutes, refresh tokens days; wallet credentials up to a year.
GRACE: dict[str, timedelta] = {
    "oidc": timedelta(days=2),
    "wallet": timedelta(days=400),
}
DEFAULT_GRACE = timedelta(days=2)
_INFO = b"dancu signing-key store v1"


_KEYS = SigningKey.__table__
_CURRENT = select(_KEYS.c.kid, _KEYS.c.alg, _KEYS.c.private_key).where(
    _KEYS.c.purpose == bindparam("purpose"), _KEYS.c.retires_at.is_(None)
)


def active_key(session: Session, purpose: str, *, alg: Alg = DEFAULT_ALG) -> SigningJWK:
    """The private key that signs for ``purpose`` now (created on first use)."""
    found = session.connection().execute(_CURRENT, {"purpose": purpose}).first()
    if found is None:
        row = _create_first(session, purpose, alg)
        return _remember(_unseal(row.kid, row.alg, row.private_key))
    return _remember(_unseal(found.kid, found.alg, found.private_key))


def current_kid(purpose: str) -> Any:
    """A scalar subquery naming ``purpose``'s current key, to ride along in a statement the
    caller runs anyway (the token endpoint's code claim), saving a round trip."""
    return (
        select(_KEYS.c.kid)
        .where(_KEYS.c.purpose == purpose, _KEYS.c.retires_at.is_(None))
        .scalar_subquery()
    )


def signing_key(session: Session, purpose: str, kid: str | None) -> SigningJWK:
    """The current key, when the caller already read its id (``current_kid``) in the same
    transaction: a key this process has unsealed before is used without another query.

    Nothing is taken on trust from the process: the database named ``kid`` as current a
    moment ago, so a rotation is seen by the next request, and a key that was only ever
    created in a rolled-back transaction is never named. A kid is the key's RFC 7638
    thumbprint, so one kid is one key pair. Unknown kid, or no key yet: ``active_key``.
    """
    known = _UNSEALED.get(kid) if kid is not None else None
    return known if known is not None else active_key(session, purpose)


# kid -> unsealed private key, filled by ``active_key``; read only for a kid the database
# has just named current (``signing_key``). Bounded: rotations add one entry each.
_UNSEALED: dict[str, SigningJWK] = {}


def _remember(key: SigningJWK) -> SigningJWK:
    if key.kid is not None and key.kid not in _UNSEALED:
        if len(_UNSEALED) >= 64:
            _UNSEALED.clear()
        _UNSEALED[key.kid] = key
    return key


def jwks(session: Session, purpose: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The public JWK Set to publish: the current key (created on first use) and those not
    yet retired."""
    if _current(session, purpose) is None:
        _create_first(session, purpose, DEFAULT_ALG)
    return {"keys": [dict(row.public_jwk) for row in _verifying(session, purpose, now)]}


def verification_keys(session: Session, purpose: str, *, now: datetime | None = None) -> KeySet:
    """The public keys that verify ``purpose`` signatures now, as a joserfc ``KeySet``."""
    return KeySet.import_key_set(jwks(session, purpose, now=now))  # type: ignore[arg-type]


def rotate(
    session: Session,
    purpose: str,
    *,
    alg: Alg | None = None,
    grace: timedelta | None = None,
    now: datetime | None = None,
) -> SigningJWK:
    """A new current key for ``purpose``; the old one verifies until ``now + grace``."""
    now = now or utcnow()
    old = _current(session, purpose)
    alg = alg or (old.alg if old else DEFAULT_ALG)  # type: ignore[assignment]
    retires_at = now + (grace if grace is not None else GRACE.get(purpose, DEFAULT_GRACE))
    session.execute(
        update(SigningKey)
        .where(SigningKey.purpose == purpose, SigningKey.retires_at.is_(None))
        .values(retires_at=retires_at)
    )
    row = _new_row(purpose, alg, now)  # type: ignore[arg-type]
    session.add(row)
    session.flush()
    return _unseal(row.kid, row.alg, row.private_key)


def key_list(session: Session, purpose: str | None = None) -> list[SigningKey]:
    """Every stored key (newest first), for the operators' listing; no private material."""
    stmt = select(SigningKey).order_by(SigningKey.activated_at.desc())
    if purpose:
        stmt = stmt.where(SigningKey.purpose == purpose)
    return list(session.scalars(stmt))


def _current(session: Session, purpose: str) -> SigningKey | None:
    stmt = select(SigningKey).where(SigningKey.purpose == purpose, SigningKey.retires_at.is_(None))
    return session.scalars(stmt).first()


def _verifying(session: Session, purpose: str, now: datetime | None) -> list[SigningKey]:
    now = now or utcnow()
    stmt = (
        select(SigningKey)
        .where(
            SigningKey.purpose == purpose,
            (SigningKey.retires_at.is_(None)) | (SigningKey.retires_at > now),
        )
        .order_by(SigningKey.activated_at.desc())
    )
    return list(session.scalars(stmt))


def _create_first(session: Session, purpose: str, alg: Alg) -> SigningKey:
    """Insert the first key; if another process won the race, use its key."""
    row = _new_row(purpose, alg, utcnow())
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        current = _current(session, purpose)
        if current is None:  # pragma: no cover - the unique index said otherwise
            raise
        return current
    return row


def _new_row(purpose: str, alg: Alg, now: datetime) -> SigningKey:
    if alg == "ES256":
        key: SigningJWK = ECKey.generate_key("P-256", private=True, auto_kid=True)
    elif alg == "RS256":
        key = RSAKey.generate_key(2048, private=True, auto_kid=True)
    else:
        raise ValidationFailed(
            "Unsupported signing algorithm", code=IdentityErrorCode.KEYS_ALG, field="alg"
        )
    kid = key.kid or key.thumbprint()
    public = key.as_dict(private=False, alg=alg, use="sig", kid=kid)
    sealed = _seal(kid, key.as_pem(private=True))
    return SigningKey(
        kid=kid,
        purpose=purpose,
        alg=alg,
        private_key=sealed,
        public_jwk=public,
        created_at=now,
        activated_at=now,
    )


def _seal(kid: str, pem: bytes) -> str:
    return sealing.seal(pem, info=_INFO, associated=kid.encode())


@lru_cache(maxsize=64)
def _unseal(kid: str, alg: str, sealed: str) -> SigningJWK:
    """Decrypt and import once per process (the sealed text is part of the cache key)."""
    pem = sealing.unseal(sealed, info=_INFO, associated=kid.encode())
    cls = ECKey if alg.startswith("ES") else RSAKey
    return cls.import_key(pem, parameters={"kid": kid, "alg": alg, "use": "sig"})
