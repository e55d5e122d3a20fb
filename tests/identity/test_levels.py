"""Level 2 at the police desk, dependants, recovery dropping level 2, closing on death."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common import outbox
from dancu.common.access import SYSTEM_ACTOR, Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import DancuError, Forbidden, InvalidState, ValidationFailed
from dancu.common.outbox import OutboxEvent
from dancu.identity import tasks
from dancu.identity.accounts import history, levels
from dancu.identity.accounts import service as accounts
from dancu.identity.accounts.models import Account
from dancu.identity.accounts.schemas import DependantIn
from dancu.identity.auth import recovery, signin
from dancu.identity.auth.session import current_login
from dancu.registry import civil_status
from dancu.registry import events as registry_events
from dancu.registry.schemas import DeathIn
from tests.conftest import COMMUNE, make_actor
from tests.identity.helpers import (
    PASSWORD,
    active_account,
    citizen,
    desk,
    issue_card,
    last_code,
    level2_account,
    police,
)
from tests.identity.test_login import FakeRequest
from tests.registry.factories import household

OTHER_COMMUNE = "22015"  # Phường Tuy Hòa, Đắk Lắk


def refused(session: Session, account: Account, call, error=DancuError) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as caught:
        call()
    session.refresh(account)
    assert account.level == 1  # nothing changed
    return caught.value.code


def test_police_of_the_commune_raises_to_level_2_audited(session: Session) -> None:
    c = citizen(session)
    account = level2_account(session, c)
    assert (account.level, account.level2_by) == (2, "officer:test-police")
    audited = session.execute(
        select(AuditEntry.actor_id, AuditEntry.purpose).where(
            AuditEntry.action == "identity.level2", AuditEntry.subject_id == c.pid
        )
    ).all()
    assert audited == [("officer:test-police", "verification")]
    change = history.list_for(session, account.id)[0]
    assert (change.kind, change.detail["new"], change.detail["chip"]) == (
        "level_changed",
        "2",
        "verified",
    )


def test_level_2_refusals(session: Session) -> None:
    c = citizen(session)
    account = active_account(session, c)
    # No chip card yet.
    from dancu.identity.chip.mrz import compose_td1

    zone = compose_td1(
        document_number=c.pid,
        birth_date=c.birth_date,
        sex=c.sex,
        expiry_date=date(2035, 5, 17),
        family_name="Nguyen",
        given_names="Van An",
    )
    from dancu.identity.accounts.schemas import LevelTwoIn

    no_card = LevelTwoIn(pid=c.pid, mrz=zone, chip_verified="verified")
    officer = police(COMMUNE)
    assert (
        refused(session, account, lambda: levels.raise_to_level2(session, no_card, actor=officer))
        == "identity.no_chip_card"
    )
    card = issue_card(session, c)
    # An officer of another commune, and a non-police officer of the right one.
    assert (
        refused(
            session,
            account,
            lambda: levels.raise_to_level2(session, desk(c, card), actor=police(OTHER_COMMUNE)),
        )
        == "identity.officer_area"
    )
    clerk = make_actor(Role.REGISTRY_CLERK, units=(COMMUNE,))
    assert (
        refused(
            session, account, lambda: levels.raise_to_level2(session, desk(c, card), actor=clerk)
        )
        == "identity.not_police"
    )
    # A zone of another card, another birth date, or a failed chip.
    from tests.identity.helpers import mrz

    for data in (
        desk(c, card, mrz=mrz(c, card, number="066090000001")),
        desk(c, card, mrz=mrz(c, card, birth=date(1990, 5, 18))),
    ):
        code = refused(
            session, account, lambda d=data: levels.raise_to_level2(session, d, actor=officer)
        )
        assert code == "identity.mrz_mismatch"
    failed_chip = desk(c, card, chip_verified="failed")
    assert (
        refused(
            session, account, lambda: levels.raise_to_level2(session, failed_chip, actor=officer)
        )
        == "identity.chip_failed"
    )
    renamed = mrz(c, card).rsplit("\n", 1)[0] + "\n" + "NGUYEN<<VAN<ANH".ljust(30, "<")
    assert (
        refused(
            session,
            account,
            lambda: levels.raise_to_level2(session, desk(c, card, mrz=renamed), actor=officer),
        )
        == "identity.mrz_mismatch"
    )
    one, two, three = mrz(c, card).split("\n")
    forged = "\n".join((one, two[:2] + ("1" if two[2] != "1" else "2") + two[3:], three))
    with pytest.raises(ValidationFailed) as caught:  # a check digit breaks
        levels.raise_to_level2(session, desk(c, card, mrz=forged), actor=officer)
    assert caught.value.field == "birth_date"
    assert (
        session.scalar(select(AuditEntry.id).where(AuditEntry.action == "identity.level2")) is None
    )


def test_level_2_refused_under_14(session: Session) -> None:
    c = citizen(session, "Lê Minh Khôi", birth_date=date(2012, 6, 1))
    account = active_account(session, c)  # 14 today (registered with the real date)
    card = issue_card(session, c)
    code = refused(
        session,
        account,
        lambda: levels.raise_to_level2(
            session, desk(c, card), actor=police(), today=date(2026, 5, 31)
        ),
    )
    assert code == "identity.too_young"


def test_guardian_registers_a_child_under_14(session: Session) -> None:
    parent = citizen(session, "Trần Văn Hùng")
    child = citizen(session, "Trần Gia Bảo", birth_date=date(2018, 4, 2))
    stranger_child = citizen(session, "Phạm Thu Hà", birth_date=date(2017, 1, 9), sex="F")
    household(session, parent, (child, "child"))
    guardian = active_account(session, parent)
    data = DependantIn(pid=child.pid, full_name=child.full_name, birth_date=child.birth_date)
    with pytest.raises(Forbidden) as caught:  # level 1 is not enough
        accounts.register_dependant(session, guardian.id, data)
    assert caught.value.code == "identity.level_insufficient"
    card = issue_card(session, parent)
    levels.raise_to_level2(session, desk(parent, card), actor=police())
    dependant = accounts.register_dependant(session, guardian.id, data)
    assert (dependant.kind, dependant.level, dependant.guardian_id) == ("dependant", 0, guardian.id)
    assert dependant.password_hash is None
    assert signin.check_password(session, child.pid, "").error is not None
    other = DependantIn(
        pid=stranger_child.pid,
        full_name=stranger_child.full_name,
        birth_date=stranger_child.birth_date,
    )
    with pytest.raises(Forbidden) as caught:
        accounts.register_dependant(session, guardian.id, other)
    assert caught.value.code == "identity.not_guardian"
    mismatch = DependantIn(pid=child.pid, full_name="Trần Gia Bao", birth_date=child.birth_date)
    with pytest.raises(ValidationFailed) as caught:
        accounts.register_dependant(session, guardian.id, mismatch)
    assert caught.value.field == "full_name"


def test_death_event_closes_the_account_and_its_sessions(session: Session, factory) -> None:  # type: ignore[no-untyped-def]
    c = citizen(session)
    account = active_account(session, c)
    request = FakeRequest()
    from dancu.identity.auth.session import begin_login

    begin_login(request.session, session, account, ("pwd", "otp"), "", "")
    civil_status.register_death(
        session, DeathIn(pid=c.pid, death_date=date(2026, 1, 2)), actor=SYSTEM_ACTOR
    )
    session.commit()  # in the test's transaction: releases a savepoint
    tasks.subscribe()  # what the app and the CLI do at start-up
    assert outbox.dispatch_pending(factory) >= 1
    session.refresh(account)
    assert (account.status, account.closed_reason) == ("closed", "deceased")
    assert current_login(request.session, session) is None
    assert signin.check_password(session, c.pid, PASSWORD).error is not None
    assert "closed" in [e.kind for e in history.list_for(session, account.id)]
    delivered = session.scalars(
        select(OutboxEvent.dispatched_at).where(OutboxEvent.topic == registry_events.CITIZEN_DIED)
    ).one()
    assert delivered is not None


def test_app_dispatcher_has_the_death_handler() -> None:
    from dancu.common.outbox import dispatcher

    tasks.subscribe()
    assert tasks.on_citizen_died in dispatcher.handlers("citizen.died")


def test_recovery_drops_level_2_and_revokes_sessions(session: Session) -> None:
    c = citizen(session)
    account = level2_account(session, c)
    request = FakeRequest()
    from dancu.identity.auth.session import begin_login

    begin_login(request.session, session, account, ("pwd", "otp"), "", "")
    recovery.start(session, c.pid, date(1990, 1, 1))  # wrong birth date: nothing sent
    from dancu.identity.accounts import messages

    sent_before = len(messages.latest(session))
    assert sent_before == 1  # only the registration code
    recovery.start(session, c.pid, c.birth_date)
    code = last_code(session, account.phone)
    wrong = recovery.finish(
        session, c.pid, c.birth_date, "000000" if code != "000000" else "1", "new password 2026"
    )
    assert wrong is not None and account.level == 2
    assert recovery.finish(session, c.pid, c.birth_date, code, "new password 2026") is None
    session.refresh(account)
    assert account.level == 1 and account.level2_at is None
    assert current_login(request.session, session) is None
    assert signin.check_password(session, c.pid, PASSWORD).error is not None
    assert signin.check_password(session, c.pid, "new password 2026").error is None
    events = history.list_for(session, account.id)
    assert {"recovered", "password_changed"} <= {e.kind for e in events}
    drops = [e.detail for e in events if e.kind == "level_changed" and e.detail["new"] == "1"]
    assert drops[0] == {"old": "2", "new": "1", "reason": "recovery"}
    dropped = (
        session.execute(select(AuditEntry.action).where(AuditEntry.subject_id == c.pid))
        .scalars()
        .all()
    )
    assert "identity.level_dropped" in dropped


def test_recovery_of_an_unknown_id_is_silent(session: Session) -> None:
    from dancu.identity.accounts import messages

    recovery.start(session, "066090009999", date(1990, 1, 1))
    assert messages.latest(session) == []
    refusal = recovery.finish(session, "066090009999", date(1990, 1, 1), "123456", "x" * 12)
    assert refusal is not None and refusal.code == "identity.otp_expired"


def test_closed_account_cannot_be_raised(session: Session) -> None:
    c = citizen(session)
    account = active_account(session, c)
    card = issue_card(session, c)
    accounts.close_for_death(session, c.pid)
    with pytest.raises(InvalidState) as caught:
        levels.raise_to_level2(session, desk(c, card), actor=police())
    assert caught.value.code == "identity.no_account"
    assert account.level == 1


def test_an_ede_name_with_an_apostrophe_matches_its_icao_zone(session: Session) -> None:
    """ICAO writes the apostrophe of H'Hơ Ktla as a filler: H<HO<KTLA on the card."""
    c = citizen(session, "H'Hơ Ktla", sex="F")
    account = level2_account(session, c)
    assert account.level == 2
