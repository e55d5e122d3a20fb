"""Online registration (level 1): the registry must match; the phone is confirmed by code."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR
from dancu.common.errors import Conflict, ValidationFailed
from dancu.identity.accounts import history
from dancu.identity.accounts import service as accounts
from dancu.identity.accounts.models import Account
from dancu.registry import civil_status
from dancu.registry.schemas import DeathIn
from tests.identity.helpers import (
    PASSWORD,
    active_account,
    citizen,
    jpeg,
    last_code,
    png,
    registration,
)


def account_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Account)) or 0


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"full_name": "Nguyễn Văn Ân"}, "identity.name_mismatch", "full_name"),
        ({"full_name": "Nguyen Van An"}, "identity.name_mismatch", "full_name"),
        ({"birth_date": date(1990, 5, 18)}, "identity.birth_date_mismatch", "birth_date"),
        ({"pid": "066090000999"}, "identity.pid_unknown", "pid"),
        ({"password": "short"}, "identity.password_short", "password"),
        ({"phone": "12345"}, "identity.phone", "phone"),
        ({"email": "not-an-address"}, "identity.email", "email"),
        (
            {"photo": b"GIF89a" + b"\0" * 4000, "photo_type": "image/gif"},
            "identity.photo_invalid",
            "photo",
        ),
        ({"photo": png(size=200)}, "identity.photo_size", "photo"),
        ({"photo": png(width=20)}, "identity.photo_size", "photo"),
        ({"photo": png(), "photo_type": "image/jpeg"}, "identity.photo_invalid", "photo"),
    ],
)
def test_registration_refuses_mismatches_naming_the_field(
    session: Session, changes: dict[str, object], code: str, field: str
) -> None:
    c = citizen(session)
    with pytest.raises(ValidationFailed) as caught:
        accounts.register(session, registration(c, **changes))
    assert (caught.value.code, caught.value.field) == (code, field)
    assert c.full_name not in caught.value.message  # the registry's value is never revealed
    assert account_count(session) == 0


def test_name_comparison_ignores_spacing_and_case_only(session: Session) -> None:
    c = citizen(session)
    account = accounts.register(session, registration(c, full_name="  nguyễn   VĂN an "))
    assert account.display_name == "Nguyễn Văn An" and account.status == "pending"


def test_password_equal_to_id_number_or_phone_refused(session: Session) -> None:
    c = citizen(session)
    for password, phone in ((c.pid, "0912345678"), ("0912345678", "0912345678")):
        with pytest.raises(ValidationFailed) as caught:
            accounts.register(session, registration(c, password=password, phone=phone))
        assert caught.value.code == "identity.password_guessable"


def test_deceased_citizen_cannot_register(session: Session) -> None:
    c = citizen(session)
    civil_status.register_death(
        session, DeathIn(pid=c.pid, death_date=date(2025, 1, 2)), actor=SYSTEM_ACTOR
    )
    with pytest.raises(ValidationFailed) as caught:
        accounts.register(session, registration(c))
    assert (caught.value.code, caught.value.field) == ("identity.citizen_deceased", "pid")


def test_under_14_registers_through_a_guardian(session: Session) -> None:
    c = citizen(session, "Nguyễn Bảo Ngọc", birth_date=date(2015, 3, 1), sex="F")
    with pytest.raises(ValidationFailed) as caught:
        accounts.register(session, registration(c), today=date(2026, 1, 15))
    assert caught.value.code == "identity.too_young"


def test_phone_code_activates_level_1_and_second_account_is_refused(session: Session) -> None:
    c = citizen(session)
    account = accounts.register(session, registration(c, photo=jpeg(), photo_type="image/jpeg"))
    assert (account.status, account.level) == ("pending", 0)
    assert account.password_hash and PASSWORD not in account.password_hash
    assert account.password_hash.startswith("$argon2id$")
    code = last_code(session, account.phone)
    assert accounts.confirm_phone(session, account.id, code) is None
    assert (account.status, account.level) == ("active", 1)
    kinds = [e.kind for e in history.list_for(session, account.id)]
    assert kinds == ["level_changed", "phone_confirmed", "registered"]
    with pytest.raises(Conflict) as caught:
        accounts.register(session, registration(c))
    assert caught.value.code == "identity.account_exists"


def test_registration_reads_the_registry_through_the_audited_service(session: Session) -> None:
    from dancu.common.audit import AuditEntry

    c = citizen(session)
    active_account(session, c)
    actions = session.execute(
        select(AuditEntry.actor_id, AuditEntry.action, AuditEntry.purpose).where(
            AuditEntry.subject_id == c.pid
        )
    ).all()
    assert ("system:identity", "citizen.read", "verification") in actions
