"""DPoP proofs (RFC 9449) and the JWT-id replay cache shared with client assertions.

Authlib 1.9 has no DPoP, so the proof is checked here with joserfc: ``typ`` is
``dpop+jwt``, the ``jwk`` header is a public asymmetric key that verifies the signature,
``htm``/``htu`` name this request, ``iat`` is recent, ``jti`` was never seen for that key,
and at a resource ``ath`` is the hash of the presented access token. The result is the
key's SHA-256 thumbprint (``jkt``), which tokens are bound to (``cnf.jkt``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.db import utcnow
from dancu.identity.oidc.models import SeenJti

PROOF_ALGS = ("ES256", "ES384", "RS256", "PS256", "EdDSA")
PROOF_WINDOW = timedelta(seconds=60)  # how old (or early) a proof's iat may be


class DPoPError(Exception):
    """The proof is unusable; ``error`` is the OAuth error code to answer with."""

    def __init__(self, description: str, error: str = "invalid_dpop_proof") -> None:
        super().__init__(description)
        self.description = description
        self.error = error


def access_token_hash(token: str) -> str:
    return _b64(hashlib.sha256(token.encode()).digest())


def verify_proof(
    session: Session,
    proof: str | Sequence[str] | None,
    *,
    method: str,
    url: str,
    access_token: str | None = None,
    now: datetime | None = None,
) -> str:
    """Check one DPoP proof for this request; returns the key thumbprint (jkt).

    Pass every ``DPoP`` header the request carries (``request.headers.getlist("dpop")``):
    RFC 9449 section 4.3 refuses a request with more than one."""
    proofs = [proof] if isinstance(proof, str) else list(proof or ())
    if len(proofs) != 1 or not proofs[0] or "," in proofs[0]:
        raise DPoPError("Exactly one DPoP header is required")
    proof = proofs[0]
    now = now or utcnow()
    try:
        compact = jws.extract_compact(proof.encode())
        header = compact.headers()
        if header.get("typ") != "dpop+jwt" or header.get("alg") not in PROOF_ALGS:
            raise DPoPError("Not a DPoP proof (typ or alg)")
        key = _public_key(header.get("jwk"))
        jws.deserialize_compact(proof, key, algorithms=[header["alg"]])
        claims = json.loads(compact.payload)
    except JoseError as exc:
        raise DPoPError(f"Bad DPoP proof: {exc.description}") from exc
    except (ValueError, TypeError, KeyError) as exc:
        raise DPoPError("Malformed DPoP proof") from exc
    _check_claims(claims, method, url, access_token, now)
    jkt = key.thumbprint()
    if not first_use(session, "dpop", jkt, str(claims["jti"]), now + 2 * PROOF_WINDOW):
        raise DPoPError("DPoP proof replayed")
    return jkt


def first_use(session: Session, kind: str, issuer: str, jti: str, expires_at: datetime) -> bool:
    """Record a JWT id; False when it was already recorded (a replay)."""
    key = hashlib.sha256(f"{kind}\x00{issuer}\x00{jti}".encode()).hexdigest()
    try:
        with session.begin_nested():
            session.add(SeenJti(key=key, expires_at=expires_at))
    except IntegrityError:
        return False
    return True


def purge_seen(session: Session, now: datetime | None = None) -> int:
    """Forget JWT ids whose proofs could no longer be accepted anyway."""
    result = session.execute(delete(SeenJti).where(SeenJti.expires_at < (now or utcnow())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def normalize_htu(url: str) -> str:
    """The URL without query and fragment (RFC 9449 section 4.3)."""
    return url.split("#", 1)[0].split("?", 1)[0]


def _public_key(jwk: object) -> ECKey | RSAKey | OKPKey:
    if not isinstance(jwk, dict):
        raise DPoPError("The proof has no jwk header")
    kty = jwk.get("kty")
    cls = {"EC": ECKey, "RSA": RSAKey, "OKP": OKPKey}.get(str(kty))
    if cls is None:
        raise DPoPError("The proof key is not asymmetric")
    key = cls.import_key(jwk)  # type: ignore[arg-type]
    if key.is_private:
        raise DPoPError("The proof carries a private key")
    return key


def _check_claims(
    claims: dict, method: str, url: str, access_token: str | None, now: datetime
) -> None:
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise DPoPError("The proof has no jti")
    if claims.get("htm") != method:
        raise DPoPError("The proof is for another HTTP method")
    if normalize_htu(str(claims.get("htu", ""))) != normalize_htu(url):
        raise DPoPError("The proof is for another URL")
    iat = claims.get("iat")
    if not isinstance(iat, int | float):
        raise DPoPError("The proof has no iat")
    if abs(now.timestamp() - iat) > PROOF_WINDOW.total_seconds():
        raise DPoPError("The proof is too old or from the future")
    if access_token is not None and claims.get("ath") != access_token_hash(access_token):
        raise DPoPError("The proof is not for this access token", "invalid_token")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
