"""Secrets sealed at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the settings'
secret key.

Each kind of secret derives its own key (``info``: signing keys, TOTP secrets...), and the
caller names the row the secret belongs to as associated data, so a sealed value copied onto
another row (or read as another kind) fails to open. The sealed text is
``base64(nonce || ciphertext || tag)`` with a random 96-bit nonce. Changing
``DANCU_SECRET_KEY`` makes every sealed value unreadable: rotate keys and re-enrol
authenticators after changing it (docs/operations.md).
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dancu.settings import get_settings

NONCE_BYTES = 12


class SealBroken(ValueError):
    """The sealed value does not open: another secret key, another row, or altered bytes."""


@lru_cache(maxsize=16)
def _cipher(secret_key: str, info: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    return AESGCM(key.derive(secret_key.encode()))


def seal(plaintext: bytes, *, info: bytes, associated: bytes, secret_key: str | None = None) -> str:
    """Encrypt ``plaintext`` for the row named by ``associated``."""
    nonce = os.urandom(NONCE_BYTES)
    cipher = _cipher(secret_key or get_settings().secret_key, info)
    return base64.b64encode(nonce + cipher.encrypt(nonce, plaintext, associated)).decode()


def unseal(sealed: str, *, info: bytes, associated: bytes, secret_key: str | None = None) -> bytes:
    """The plaintext of ``seal``; ``SealBroken`` when it does not open."""
    try:
        raw = base64.b64decode(sealed, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SealBroken("not a sealed value") from exc
    if len(raw) <= NONCE_BYTES + 16:
        raise SealBroken("not a sealed value")
    cipher = _cipher(secret_key or get_settings().secret_key, info)
    try:
        return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated)
    except InvalidTag as exc:
        raise SealBroken("the sealed value does not open with this key") from exc
