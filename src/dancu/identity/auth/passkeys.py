"""Passkeys (WebAuthn) with py_webauthn: register, authenticate, list and remove.

Each ceremony starts with a challenge stored server-side, bound to the browser session that
asked for it (``binding``) and usable once: the response's challenge is claimed by one
conditional UPDATE before the signature is checked, so a replayed or foreign response finds
nothing to claim. py_webauthn checks the origin, the RP ID hash, user presence and
verification, and the signature; the signature counter is then moved forward by a
conditional UPDATE too, so a counter that did not grow (a cloned authenticator, or a
replayed assertion racing the real one) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, parse_client_data_json
from webauthn.helpers.base64url_to_bytes import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from dancu.common.errors import Forbidden, NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.identity.accounts import history
from dancu.identity.auth.models import Passkey, PasskeyChallenge
from dancu.identity.errors import IdentityErrorCode
from dancu.settings import get_settings

CHALLENGE_SECONDS = 300
REGISTER, AUTHENTICATE = "register", "authenticate"


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the passkeys are for: the RP ID (a host name), a display name, the page origin."""

    id: str
    name: str
    origin: str


class PasskeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None = None
    backed_up: bool = False


def user_handle(account_id: int) -> bytes:
    """The WebAuthn user handle: opaque (no personal data), stable for an account."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"passkey-user:{account_id}".encode(), hashlib.sha256).digest()[:16]


def _new_challenge(
    db: Session, challenge: bytes, ceremony: str, binding: str, account_id: int | None
) -> None:
    now = utcnow()
    db.add(
        PasskeyChallenge(
            challenge=bytes_to_base64url(challenge),
            ceremony=ceremony,
            binding=binding,
            account_id=account_id,
            created_at=now,
            expires_at=now + timedelta(seconds=CHALLENGE_SECONDS),
        )
    )
    db.flush()


def _refused(reason: str) -> Forbidden:
    return Forbidden(
        f"The passkey was not accepted: {reason}", code=IdentityErrorCode.PASSKEY_INVALID
    )


def _claim_challenge(
    db: Session, credential: dict[str, Any], ceremony: str, binding: str
) -> tuple[bytes, int | None]:
    """Mark the response's challenge used (once, this session, in time): (challenge, account)."""
    try:
        raw = base64url_to_bytes(credential["response"]["clientDataJSON"])
        challenge = parse_client_data_json(raw).challenge
    except (KeyError, TypeError, ValueError, WebAuthnException) as exc:
        raise _refused("malformed client data") from exc
    encoded = bytes_to_base64url(challenge)
    now = utcnow()
    claimed = db.execute(
        update(PasskeyChallenge)
        .where(
            PasskeyChallenge.challenge == encoded,
            PasskeyChallenge.ceremony == ceremony,
            PasskeyChallenge.binding == binding,
            PasskeyChallenge.used_at.is_(None),
            PasskeyChallenge.expires_at > now,
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Forbidden(
            "This passkey challenge is unknown, expired, already used or from another session",
            code=IdentityErrorCode.PASSKEY_CHALLENGE,
        )
    account_id = db.scalar(
        select(PasskeyChallenge.account_id).where(PasskeyChallenge.challenge == encoded)
    )
    return challenge, account_id


def _parse(credential: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(credential, str):
        try:
            credential = json.loads(credential)
        except ValueError as exc:
            raise _refused("not JSON") from exc
    if not isinstance(credential, dict):
        raise _refused("not a credential")
    return credential


def _active(db: Session, account_id: int) -> list[Passkey]:
    stmt = (
        select(Passkey)
        .where(Passkey.account_id == account_id, Passkey.removed_at.is_(None))
        .order_by(Passkey.id)
    )
    return list(db.scalars(stmt))


def registration_options(
    db: Session,
    account_id: int,
    *,
    user_name: str,
    display_name: str,
    rp: RelyingParty,
    binding: str,
) -> str:
    """Options for ``navigator.credentials.create`` (JSON), excluding the keys already held."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user_name,
        user_display_name=display_name,
        user_id=user_handle(account_id),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=p.credential_id) for p in _active(db, account_id)
        ],
    )
    _new_challenge(db, options.challenge, REGISTER, binding, account_id)
    return options_to_json(options)


def _valid_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 60:
        raise ValidationFailed(
            "A passkey name has 1 to 60 characters",
            code=IdentityErrorCode.PASSKEY_NAME,
            field="name",
        )
    return name


def register(
    db: Session,
    account_id: int,
    credential: str | dict[str, Any],
    *,
    rp: RelyingParty,
    binding: str,
    name: str,
    ip: str = "",
) -> PasskeyOut:
    """Check an attestation against this session's challenge and keep the new credential."""
    name = _valid_name(name)
    data = _parse(credential)
    challenge, challenge_account = _claim_challenge(db, data, REGISTER, binding)
    if challenge_account != account_id:
        raise _refused("the challenge was issued to another account")
    try:
        verified = verify_registration_response(
            credential=data,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except WebAuthnException as exc:
        raise _refused(str(exc)) from exc
    passkey = Passkey(
        account_id=account_id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name,
        aaguid=verified.aaguid,
        backed_up=verified.credential_backed_up,
        transports=",".join(data.get("response", {}).get("transports", []) or [])[:100],
    )
    try:
        with db.begin_nested():
            db.add(passkey)
            db.flush()
    except IntegrityError as exc:
        raise ValidationFailed(
            "This passkey is already registered",
            code=IdentityErrorCode.PASSKEY_DUPLICATE,
            field="passkey",
        ) from exc
    history.add(db, account_id, "passkey_added", ip=ip, passkey=name)
    return PasskeyOut.model_validate(passkey)


def authentication_options(
    db: Session, *, rp: RelyingParty, binding: str, account_id: int | None = None
) -> str:
    """Options for ``navigator.credentials.get`` (JSON).

    With an account (second factor, step-up) only its passkeys are allowed; without one the
    browser offers any discoverable passkey for this site (passkey sign-in).
    """
    allowed = (
        [PublicKeyCredentialDescriptor(id=p.credential_id) for p in _active(db, account_id)]
        if account_id is not None
        else []
    )
    if account_id is not None and not allowed:
        raise NotFound("This account has no passkey", code=IdentityErrorCode.PASSKEY_NONE)
    options = generate_authentication_options(
        rp_id=rp.id,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _new_challenge(db, options.challenge, AUTHENTICATE, binding, account_id)
    return options_to_json(options)


def authenticate(
    db: Session,
    credential: str | dict[str, Any],
    *,
    rp: RelyingParty,
    binding: str,
    account_id: int | None = None,
) -> PasskeyOut:
    """Check an assertion; returns the passkey used (its ``account_id`` is who signed in).

    With ``account_id`` the passkey must belong to that account (second factor, step-up).
    """
    data = _parse(credential)
    challenge, challenge_account = _claim_challenge(db, data, AUTHENTICATE, binding)
    try:
        raw_id = base64url_to_bytes(data["rawId"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _refused("no credential id") from exc
    passkey = db.scalar(
        select(Passkey).where(Passkey.credential_id == raw_id, Passkey.removed_at.is_(None))
    )
    if passkey is None:
        raise Forbidden(
            "This passkey is not registered here", code=IdentityErrorCode.PASSKEY_UNKNOWN
        )
    expected = account_id if account_id is not None else challenge_account
    if expected is not None and passkey.account_id != expected:
        raise _refused("the passkey belongs to another account")
    handle = data.get("response", {}).get("userHandle")
    if handle and _b64_or_none(handle) != user_handle(passkey.account_id):
        raise _refused("the user handle is not this passkey's account")
    try:
        verified = verify_authentication_response(
            credential=data,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=0,  # the counter is checked below, atomically
            require_user_verification=True,
        )
    except WebAuthnException as exc:
        raise _refused(str(exc)) from exc
    _advance_counter(db, passkey, verified.new_sign_count)
    return PasskeyOut.model_validate(passkey)


def _advance_counter(db: Session, passkey: Passkey, new_count: int) -> None:
    """Store the new signature counter only if it grew (both zero: a counter-less key)."""
    grows = Passkey.sign_count < new_count if new_count > 0 else Passkey.sign_count == 0
    moved = db.execute(
        update(Passkey)
        .where(Passkey.id == passkey.id, grows)
        .values(sign_count=new_count, last_used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Forbidden(
            "The passkey's signature counter went backwards: it may have been cloned",
            code=IdentityErrorCode.PASSKEY_SIGN_COUNT,
        )
    db.refresh(passkey)


def _b64_or_none(value: object) -> bytes | None:
    try:
        return base64url_to_bytes(str(value))
    except ValueError:
        return None


def purge_challenges(db: Session, *, now: datetime | None = None) -> int:
    """Delete challenges that expired (used or not); returns how many went."""
    result = db.execute(
        delete(PasskeyChallenge).where(PasskeyChallenge.expires_at <= (now or utcnow()))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def list_for(db: Session, account_id: int) -> list[PasskeyOut]:
    """The holder's passkeys, oldest first."""
    return [PasskeyOut.model_validate(p) for p in _active(db, account_id)]


def has_passkey(db: Session, account_id: int) -> bool:
    stmt = select(Passkey.id).where(Passkey.account_id == account_id, Passkey.removed_at.is_(None))
    return db.scalar(stmt.limit(1)) is not None


def remove(db: Session, account_id: int, passkey_id: int, *, ip: str = "") -> None:
    """Remove one of the holder's passkeys (another account's is simply not found)."""
    now = utcnow()
    done = db.execute(
        update(Passkey)
        .where(
            Passkey.id == passkey_id,
            Passkey.account_id == account_id,
            Passkey.removed_at.is_(None),
        )
        .values(removed_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound("No such passkey on this account", code=IdentityErrorCode.PASSKEY_NOT_FOUND)
    history.add(db, account_id, "passkey_removed", ip=ip, passkey=str(passkey_id))
