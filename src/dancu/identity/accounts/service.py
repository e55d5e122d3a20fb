"""Citizen accounts (Decree 69/2024): online registration at level 1, dependants, closing.

A registrant proves who they are by matching the registry (ID number, full name, birth
date), confirms their phone with a one-time code, and gives an e-mail and a face photo.
A mismatch names the field but never the registry's value.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common import outbox
from dancu.common.errors import (
    Conflict,
    DancuError,
    Forbidden,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from dancu.db import utcnow
from dancu.identity.accounts import citizens, history, photos
from dancu.identity.accounts import repository as repo
from dancu.identity.accounts.events import ACCOUNT_ACTIVATED
from dancu.identity.accounts.models import Account, OfficerRole, StaffMembership
from dancu.identity.accounts.schemas import AccountOut, DependantIn, RegistrationIn
from dancu.identity.auth import otp, passwords
from dancu.identity.auth.session import revoke_sessions
from dancu.identity.auth.totp import enabled as totp_enabled
from dancu.identity.errors import IdentityErrorCode
from dancu.registry.schemas import CitizenOut

_PHONE = re.compile(r"(?:\+84|0)([35789]\d{8})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


def valid_phone(value: str) -> str:
    """A Vietnamese mobile number, stored as +84..."""
    bare = "".join(value.split()).replace("-", "").replace(".", "")
    match = _PHONE.fullmatch(bare)
    if not match:
        raise ValidationFailed(
            "A Vietnamese mobile number, e.g. 0912345678",
            code=IdentityErrorCode.PHONE,
            field="phone",
        )
    return "+84" + match.group(1)


def valid_email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.fullmatch(value):
        raise ValidationFailed("An e-mail address", code=IdentityErrorCode.EMAIL, field="email")
    return value.lower()


def matched_citizen(
    session: Session, pid: str, full_name: str, birth_date: date, *, field_prefix: str = ""
) -> CitizenOut:
    """The registry record the registrant's data matches; refusals name the field only."""
    record = citizens.record(session, "".join(pid.split()))
    if record is None:
        raise ValidationFailed(
            "No citizen with this ID number in the registry",
            code=IdentityErrorCode.PID_UNKNOWN,
            field=f"{field_prefix}pid",
        )
    if not citizens.same_name(full_name, record.full_name):
        raise ValidationFailed(
            "The full name does not match the registry",
            code=IdentityErrorCode.NAME_MISMATCH,
            field=f"{field_prefix}full_name",
        )
    if birth_date != record.birth_date:
        raise ValidationFailed(
            "The birth date does not match the registry",
            code=IdentityErrorCode.BIRTH_DATE_MISMATCH,
            field=f"{field_prefix}birth_date",
        )
    if record.status != "alive":
        raise ValidationFailed(
            "The registry records this citizen as deceased",
            code=IdentityErrorCode.CITIZEN_DECEASED,
            field=f"{field_prefix}pid",
        )
    return record


def _insert(session: Session, account: Account) -> Account:
    try:
        with session.begin_nested():
            session.add(account)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "An account already exists for this ID number",
            code=IdentityErrorCode.ACCOUNT_EXISTS,
            field="pid",
        ) from exc
    return account


def register(
    session: Session, data: RegistrationIn, *, ip: str = "", today: date | None = None
) -> Account:
    """Step 1: a pending account and an SMS code to the phone (``confirm_phone`` activates)."""
    today = today or date.today()
    citizen = matched_citizen(session, data.pid, data.full_name, data.birth_date)
    if citizens.age(citizen, today) < citizens.MIN_OWN_ACCOUNT_AGE:
        raise ValidationFailed(
            "Citizens under 14 are registered by a parent or guardian",
            code=IdentityErrorCode.TOO_YOUNG,
            field="birth_date",
        )
    phone, email = valid_phone(data.phone), valid_email(data.email)
    passwords.check_policy(data.password, pid=citizen.pid, phone=phone)
    digest = photos.check_photo(data.photo, data.photo_type)
    account = _insert(
        session,
        Account(
            citizen_pid=citizen.pid,
            kind="citizen",
            display_name=citizen.full_name,
            level=0,
            status="pending",
            password_hash=passwords.hash_password(data.password),
            phone=phone,
            email=email,
            photo=data.photo,
            photo_type=data.photo_type,
            photo_sha256=digest,
            province_code=citizen.province_code,
            commune_code=citizen.commune_code,
        ),
    )
    history.add(session, account.id, "registered", ip=ip)
    otp.issue(session, account, "phone")
    return account


def resend_phone_code(session: Session, account_id: int) -> None:
    account = get(session, account_id)
    if account.status != "pending":
        raise InvalidState("The phone is already confirmed", code=IdentityErrorCode.ALREADY_ACTIVE)
    otp.issue(session, account, "phone")


def confirm_phone(session: Session, account_id: int, code: str) -> DancuError | None:
    """Step 2: the phone code activates the account at level 1 (refusal returned, not raised)."""
    account = get(session, account_id)
    if account.status != "pending":
        raise InvalidState("The phone is already confirmed", code=IdentityErrorCode.ALREADY_ACTIVE)
    refusal = otp.check(session, account.id, "phone", code)
    if refusal is not None:
        return refusal
    now = utcnow()
    account.status, account.level = "active", 1
    account.phone_verified_at = account.activated_at = now
    history.add(session, account.id, "phone_confirmed")
    history.add(session, account.id, "level_changed", old=0, new=1, reason="registration")
    outbox.emit(session, ACCOUNT_ACTIVATED, {"account_id": account.id, "pid": account.citizen_pid})
    session.flush()
    return None


def register_dependant(
    session: Session, guardian_id: int, data: DependantIn, *, today: date | None = None
) -> Account:
    """A child under 14, registered by a parent or guardian holding a level-2 account."""
    today = today or date.today()
    guardian = get(session, guardian_id)
    if guardian.status != "active" or guardian.level != 2:
        raise Forbidden(
            "Only a level-2 account may register a child",
            code=IdentityErrorCode.LEVEL_INSUFFICIENT,
        )
    child = matched_citizen(session, data.pid, data.full_name, data.birth_date)
    if citizens.age(child, today) >= citizens.MIN_OWN_ACCOUNT_AGE:
        raise ValidationFailed(
            "From 14 a citizen registers their own account",
            code=IdentityErrorCode.DEPENDANT_TOO_OLD,
            field="birth_date",
        )
    if not citizens.guardian_of(session, guardian.citizen_pid, child.pid):
        raise Forbidden(
            "The registry does not record you as this child's parent or guardian",
            code=IdentityErrorCode.NOT_GUARDIAN,
            field="pid",
        )
    account = _insert(
        session,
        Account(
            citizen_pid=child.pid,
            kind="dependant",
            display_name=child.full_name,
            level=0,
            status="active",
            guardian_id=guardian.id,
            province_code=child.province_code,
            commune_code=child.commune_code,
            activated_at=utcnow(),
        ),
    )
    history.add(session, guardian.id, "dependant_registered", child=child.pid)
    history.add(session, account.id, "registered", guardian=guardian.citizen_pid)
    outbox.emit(session, ACCOUNT_ACTIVATED, {"account_id": account.id, "pid": child.pid})
    return account


def close_for_death(session: Session, pid: str) -> bool:
    """Close a deceased citizen's account: sessions, officer roles and staff rights end."""
    account = repo.account_by_pid(session, pid, for_update=True)
    if account is None or account.status == "closed":
        return False
    now = utcnow()
    account.status, account.closed_at, account.closed_reason = "closed", now, "deceased"
    revoke_sessions(session, account_id=account.id, reason="deceased")
    session.execute(
        update(OfficerRole)
        .where(OfficerRole.account_id == account.id, OfficerRole.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by="system:death")
    )
    session.execute(
        update(StaffMembership)
        .where(StaffMembership.account_id == account.id, StaffMembership.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    history.add(session, account.id, "closed", reason="deceased")
    session.flush()
    return True


def has_account(session: Session, pid: str) -> bool:
    return repo.account_by_pid(session, pid) is not None


def active_account_id(session: Session, pid: str) -> int | None:
    """The id of the citizen's active e-ID account (None: none, not yet confirmed, or
    closed): what another domain names when it delivers to the citizen (a dossier that came
    from the national portal, whose result goes to the wallet)."""
    account = repo.account_by_pid(session, pid)
    return account.id if account is not None and account.status == "active" else None


def get(session: Session, account_id: int) -> Account:
    """The account, or ``NotFound`` (``identity.account_unknown``)."""
    account = repo.account_by_id(session, account_id)
    if account is None:
        raise NotFound("No such account", code=IdentityErrorCode.ACCOUNT_UNKNOWN)
    return account


def describe(account: Account) -> AccountOut:
    out = AccountOut.model_validate(account)
    return out.model_copy(update={"totp_enabled": totp_enabled(account)})
