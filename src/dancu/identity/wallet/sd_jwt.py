"""SD-JWT (RFC 9901) and SD-JWT VC mechanics on joserfc: issue, present, verify.

An issuer signs a JWT whose selectively disclosable claims are replaced by the SHA-256
digests of their *disclosures* (``base64url(json([salt, name, value]))``) in ``_sd``; the
holder keeps the disclosures and, for each presentation, sends only those it chooses:
``<issuer-jwt>~<disclosure>~...~[<key-binding-jwt>]``. A verifier checks the signature
with the issuer's keys, that every disclosure's digest is in ``_sd`` (so none was made up
or altered), the validity period and, if the credential has ``cnf``, the key-binding JWT.

Only top-level claims are disclosable (a nested object is disclosed whole); that covers
the flat documents of the wallet. Why not the ``sd-jwt`` package: see docs/identity.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from joserfc import jws
from joserfc.errors import BadSignatureError, DecodeError, InvalidKeyIdError, JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

from dancu.common.errors import ValidationFailed
from dancu.identity.errors import IdentityErrorCode

SD_JWT_TYP = "dc+sd-jwt"
KB_JWT_TYP = "kb+jwt"
ALGORITHMS = ["ES256", "RS256"]
# Claims that are never selectively disclosable (RFC 9901 / SD-JWT VC section 3.2.2).
ALWAYS_VISIBLE = frozenset({"iss", "iat", "nbf", "exp", "vct", "status", "cnf", "sub", "_sd"})
LEEWAY = 60  # seconds of clock skew allowed on iat / exp
SigningKey = ECKey | RSAKey


class CredentialInvalid(ValidationFailed):
    """A presentation failed a check; ``code`` says which (``wallet.*``)."""


@dataclass(frozen=True, slots=True)
class Verified:
    """A presentation that passed: the signed payload and the claims it disclosed."""

    header: dict[str, Any]
    payload: dict[str, Any]
    disclosed: dict[str, Any] = field(default_factory=dict)
    key_bound: bool = False

    @property
    def claims(self) -> dict[str, Any]:
        """Visible claims and disclosed ones, without the SD-JWT machinery."""
        visible = {k: v for k, v in self.payload.items() if k not in {"_sd", "_sd_alg"}}
        return {**visible, **self.disclosed}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def digest(disclosure: str) -> str:
    return b64url(hashlib.sha256(disclosure.encode("ascii")).digest())


def make_disclosure(name: str, value: Any) -> str:
    """A disclosure with a fresh 128-bit salt."""
    salt = b64url(secrets.token_bytes(16))
    return b64url(json.dumps([salt, name, value], ensure_ascii=False).encode())


def issue(
    claims: dict[str, Any],
    disclosable: set[str] | frozenset[str],
    key: SigningKey,
    *,
    decoys: int = 2,
) -> str:
    """An SD-JWT: ``claims`` signed with the names in ``disclosable`` hidden behind digests.

    ``decoys`` random digests are added so the number of hidden claims does not leak.
    """
    forbidden = disclosable & ALWAYS_VISIBLE
    if forbidden:
        raise ValueError(f"never disclosable: {sorted(forbidden)}")
    payload = {k: v for k, v in claims.items() if k not in disclosable}
    disclosures = [make_disclosure(k, claims[k]) for k in sorted(disclosable) if k in claims]
    hidden = [digest(d) for d in disclosures]
    hidden += [b64url(hashlib.sha256(secrets.token_bytes(32)).digest()) for _ in range(decoys)]
    payload["_sd"] = sorted(hidden)
    payload["_sd_alg"] = "sha-256"
    header = {"alg": key.alg or "ES256", "typ": SD_JWT_TYP, "kid": key.kid}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    jwt = jws.serialize_compact(header, body, key)
    return "~".join([jwt, *disclosures]) + "~"


def split(sd_jwt: str) -> tuple[str, list[str], str]:
    """The issuer JWT, the disclosures and the key-binding JWT ('' when absent)."""
    parts = sd_jwt.strip().split("~")
    if len(parts) < 2 or parts[0].count(".") != 2:
        raise CredentialInvalid(
            "Not an SD-JWT", code=IdentityErrorCode.WALLET_FORMAT, field="presentation"
        )
    return parts[0], parts[1:-1], parts[-1]


def disclosure_claims(sd_jwt: str) -> dict[str, Any]:
    """Claim name -> value of every disclosure in ``sd_jwt`` (the holder's own view)."""
    _jwt, disclosures, _kb = split(sd_jwt)
    return dict(_decode_disclosure(d) for d in disclosures)


def decode_unverified(jwt: str) -> dict[str, Any]:
    """The payload of our own stored JWT, without a signature check (re-signing only)."""
    try:
        payload = json.loads(b64url_decode(jwt.split(".")[1]))
    except (IndexError, ValueError) as exc:
        raise CredentialInvalid("Not an SD-JWT", code=IdentityErrorCode.WALLET_FORMAT) from exc
    if not isinstance(payload, dict):
        raise CredentialInvalid("Not an SD-JWT", code=IdentityErrorCode.WALLET_FORMAT)
    return payload


def present(sd_jwt: str, names: set[str] | frozenset[str] | list[str]) -> str:
    """A presentation revealing only the disclosures of ``names`` (no key binding)."""
    jwt, disclosures, _kb = split(sd_jwt)
    keep = [d for d in disclosures if _decode_disclosure(d)[0] in set(names)]
    return "~".join([jwt, *keep]) + "~"


def verify(
    presentation: str,
    keys: KeySet,
    *,
    now: int,
    issuer: str | None = None,
    audience: str | None = None,
    nonce: str | None = None,
) -> Verified:
    """Check a presentation; raises ``CredentialInvalid`` with the failing check's code."""
    jwt, disclosures, kb_jwt = split(presentation)
    header, payload = _verify_signature(jwt, keys)
    if header.get("typ") not in {SD_JWT_TYP, "vc+sd-jwt"}:
        raise _invalid("wallet.format", "The credential is not an SD-JWT VC")
    if payload.get("_sd_alg", "sha-256") != "sha-256":
        raise _invalid("wallet.format", "Unsupported disclosure digest algorithm")
    if issuer is not None and payload.get("iss") != issuer:
        raise _invalid("wallet.issuer", "The credential was issued by someone else")
    _check_times(payload, now)
    disclosed = _check_disclosures(payload, disclosures)
    bound = False
    if kb_jwt:
        _check_key_binding(payload, jwt, disclosures, kb_jwt, now, audience, nonce)
        bound = True
    elif audience is not None or nonce is not None:
        raise _invalid("wallet.key_binding", "A key-binding JWT is required")
    return Verified(header, payload, disclosed, bound)


def _invalid(code: str, message: str) -> CredentialInvalid:
    return CredentialInvalid(message, code=code, field="presentation")


def _verify_signature(jwt: str, keys: KeySet) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        obj = jws.deserialize_compact(jwt, keys, algorithms=ALGORITHMS)
        payload = json.loads(obj.payload)
    except InvalidKeyIdError as exc:
        raise _invalid("wallet.unknown_key", "Not signed by a key of the issuer") from exc
    except BadSignatureError as exc:
        raise _invalid("wallet.signature", "The issuer's signature does not verify") from exc
    except (JoseError, DecodeError, ValueError) as exc:
        raise _invalid("wallet.format", f"The credential cannot be read: {exc}") from exc
    if not isinstance(payload, dict):
        raise _invalid("wallet.format", "The credential's payload is not an object")
    return dict(obj.headers()), payload


def _check_times(payload: dict[str, Any], now: int) -> None:
    exp, nbf, iat = payload.get("exp"), payload.get("nbf"), payload.get("iat")
    if exp is not None and (not isinstance(exp, int) or now > exp + LEEWAY):
        raise _invalid("wallet.expired", "The credential has expired")
    for start in (nbf, iat):
        if start is not None and (not isinstance(start, int) or now + LEEWAY < start):
            raise _invalid("wallet.not_yet_valid", "The credential is not valid yet")


def _decode_disclosure(disclosure: str) -> tuple[str, Any]:
    try:
        item = json.loads(b64url_decode(disclosure))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _invalid("wallet.disclosure", "A disclosure cannot be read") from exc
    if not (isinstance(item, list) and len(item) == 3 and isinstance(item[1], str)):
        raise _invalid("wallet.disclosure", "A disclosure is not [salt, name, value]")
    return item[1], item[2]


def _check_disclosures(payload: dict[str, Any], disclosures: list[str]) -> dict[str, Any]:
    hidden = set(payload.get("_sd", []))
    disclosed: dict[str, Any] = {}
    seen: set[str] = set()
    for disclosure in disclosures:
        value_digest = digest(disclosure)
        if value_digest not in hidden or value_digest in seen:
            raise _invalid("wallet.disclosure", "A disclosure was not issued with the credential")
        seen.add(value_digest)
        name, value = _decode_disclosure(disclosure)
        if name in payload or name in disclosed or name in {"_sd", "..."}:
            raise _invalid("wallet.disclosure", f"The disclosed claim {name!r} is not allowed")
        disclosed[name] = value
    return disclosed


def _check_key_binding(
    payload: dict[str, Any],
    jwt: str,
    disclosures: list[str],
    kb_jwt: str,
    now: int,
    audience: str | None,
    nonce: str | None,
) -> None:
    jwk = (payload.get("cnf") or {}).get("jwk")
    if not isinstance(jwk, dict):
        raise _invalid("wallet.key_binding", "The credential is not bound to a holder key")
    try:
        holder = KeySet.import_key_set({"keys": [jwk]})
        obj = jws.deserialize_compact(kb_jwt, holder.keys[0], algorithms=ALGORITHMS)
        claims = json.loads(obj.payload)
    except (JoseError, ValueError) as exc:
        raise _invalid(
            "wallet.key_binding", "The holder's key-binding JWT does not verify"
        ) from exc
    presented = "~".join([jwt, *disclosures]) + "~"
    checks = (
        obj.headers().get("typ") == KB_JWT_TYP,
        claims.get("sd_hash") == b64url(hashlib.sha256(presented.encode("ascii")).digest()),
        isinstance(claims.get("iat"), int) and abs(now - claims["iat"]) <= 300,
        audience is None or claims.get("aud") == audience,
        nonce is None or claims.get("nonce") == nonce,
    )
    if not all(checks):
        raise _invalid("wallet.key_binding", "The key-binding JWT does not match the presentation")


def bind(presentation: str, holder_key: SigningKey, *, audience: str, nonce: str, now: int) -> str:
    """The holder's side: append a key-binding JWT to a presentation (ending in '~')."""
    sd_hash = b64url(hashlib.sha256(presentation.encode("ascii")).digest())
    body = {"iat": now, "aud": audience, "nonce": nonce, "sd_hash": sd_hash}
    header = {"alg": holder_key.alg or "ES256", "typ": KB_JWT_TYP}
    return presentation + jws.serialize_compact(header, json.dumps(body).encode(), holder_key)
