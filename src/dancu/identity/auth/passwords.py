"""Password hashing (argon2id, parameters from the settings) and the password policy."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dancu.common.errors import ValidationFailed
from dancu.identity.errors import IdentityErrorCode
from dancu.settings import get_settings

MIN_LENGTH = 10
MAX_LENGTH = 200


@cache
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher() -> PasswordHasher:
    s = get_settings()
    return _hasher(s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism)


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Constant-work check: an account without a hash still pays for one verification."""
    try:
        return hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return hasher().check_needs_rehash(stored)


@cache
def _dummy_hash() -> str:
    return hasher().hash("dancu-no-such-account")


def check_policy(password: str, *, pid: str, phone: str | None) -> None:
    """At least 10 characters, at most 200, not the ID number or the phone number."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            f"The password needs at least {MIN_LENGTH} characters",
            code=IdentityErrorCode.PASSWORD_SHORT,
            field="password",
            min=MIN_LENGTH,
        )
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(
            "The password is too long", code=IdentityErrorCode.PASSWORD_LONG, field="password"
        )
    bare = "".join(password.split())
    if bare == pid or (phone and bare.lstrip("+") in (phone.lstrip("+"), _local(phone))):
        raise ValidationFailed(
            "The password may not be the ID number or the phone number",
            code=IdentityErrorCode.PASSWORD_GUESSABLE,
            field="password",
        )


def _local(phone: str) -> str:
    """+84912345678 -> 0912345678."""
    return "0" + phone[3:] if phone.startswith("+84") else phone
