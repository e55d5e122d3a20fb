"""Token Status List (draft-ietf-oauth-status-list): revocation of wallet credentials.

Each credential carries ``status.status_list = {idx, uri}``. The list at ``uri`` is a JWT
(``typ: statuslist+jwt``) whose ``status_list.lst`` is a ZLIB-compressed bit string,
base64url-encoded; with ``bits: 1`` the credential at index ``i`` is bit ``i % 8`` (least
significant first) of byte ``i // 8``: 0 valid, 1 revoked.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from dancu.identity.errors import IdentityErrorCode
from dancu.identity.wallet.sd_jwt import (
    ALGORITHMS,
    CredentialInvalid,
    SigningKey,
    b64url,
    b64url_decode,
)

STATUS_LIST_TYP = "statuslist+jwt"
VALID, INVALID = 0, 1
TTL = 300  # seconds a verifier may cache a list


def encode(size: int, revoked: Iterable[int]) -> str:
    """``lst``: the compressed, base64url-encoded bit string of ``size`` entries."""
    bits = bytearray((size + 7) // 8)
    for index in revoked:
        bits[index // 8] |= 1 << (index % 8)
    return b64url(zlib.compress(bytes(bits), 9))


def status_at(lst: str, index: int, *, bits: int = 1) -> int:
    if bits != 1:
        raise CredentialInvalid(
            "Unsupported status list", code=IdentityErrorCode.WALLET_STATUS, field="status"
        )
    raw = zlib.decompress(b64url_decode(lst))
    if index < 0 or index // 8 >= len(raw):
        raise CredentialInvalid(
            "The status index is outside the list",
            code=IdentityErrorCode.WALLET_STATUS,
            field="status",
        )
    return (raw[index // 8] >> (index % 8)) & 1


def token(key: SigningKey, *, uri: str, size: int, revoked: Iterable[int], now: int) -> str:
    """The signed status list token published at ``uri``."""
    payload = {
        "sub": uri,
        "iat": now,
        "exp": now + 2 * TTL,
        "ttl": TTL,
        "status_list": {"bits": 1, "lst": encode(size, revoked)},
    }
    header = {"alg": key.alg or "ES256", "typ": STATUS_LIST_TYP, "kid": key.kid}
    return jws.serialize_compact(header, json.dumps(payload).encode(), key)


def check(status_token: str, keys: KeySet, *, uri: str, index: int, now: int) -> int:
    """The status of ``index`` in a list token, after checking its signature and subject."""
    try:
        obj = jws.deserialize_compact(status_token, keys, algorithms=ALGORITHMS)
        payload: dict[str, Any] = json.loads(obj.payload)
    except (JoseError, ValueError) as exc:
        raise CredentialInvalid(
            "The status list does not verify", code=IdentityErrorCode.WALLET_STATUS, field="status"
        ) from exc
    if obj.headers().get("typ") != STATUS_LIST_TYP or payload.get("sub") != uri:
        raise CredentialInvalid(
            "Not the credential's status list", code=IdentityErrorCode.WALLET_STATUS
        )
    if isinstance(payload.get("exp"), int) and now > payload["exp"]:
        raise CredentialInvalid("The status list has expired", code=IdentityErrorCode.WALLET_STATUS)
    body = payload.get("status_list") or {}
    return status_at(str(body.get("lst", "")), index, bits=int(body.get("bits", 1)))
