"""The login contract used by OIDC and the pages: levels, step-up, expiry, revocation."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR, Role
from dancu.common.errors import Forbidden
from dancu.db import utcnow
from dancu.identity.accounts import officers
from dancu.identity.auth.models import LoginSession
from dancu.identity.auth.session import (
    ACR_LEVEL1,
    ACR_LEVEL2,
    Login,
    begin_login,
    current_login,
    end_login,
    load_login,
    step_up,
)
from dancu.settings import get_settings
from tests.identity.helpers import active_account, citizen, level2_account


class FakeRequest:
    """What the contract needs of a Starlette request: a session dict and app.state."""

    def __init__(self) -> None:
        self.session: dict[str, Any] = {"stale": "cookie data"}
        self.app = SimpleNamespace(state=SimpleNamespace(settings=get_settings()))


def test_level_is_1_until_step_up_then_2_for_the_window() -> None:
    login = Login("s", 1, "0", "A", 2, 0, ("pwd", "otp"), None)
    assert (login.level(100), login.acr(100)) == (1, ACR_LEVEL1)
    stepped = Login("s", 1, "0", "A", 2, 0, ("pwd", "totp"), 200)
    assert (stepped.level(199), stepped.acr(199)) == (2, ACR_LEVEL2)
    assert stepped.level(200) == 1
    assert Login("s", 1, "0", "A", 1, 0, ("pwd",), 10**12).level(5) == 1
    assert Login("s", 1, "0", "A", 0, 0, ("pwd",), None).level(5) == 0


def test_begin_login_rotates_the_cookie_and_records_history(session: Session) -> None:
    from dancu.identity.accounts import history

    account = active_account(session, citizen(session))
    request = FakeRequest()
    login = begin_login(request.session, session, account, ("pwd", "otp"), "10.0.0.1", "UA")
    assert request.session == {"login_sid": login.session_id}  # old data cleared, no actor
    assert current_login(request.session, session) == login
    assert (login.account_level, login.amr, login.citizen_pid) == (
        1,
        ("pwd", "otp"),
        account.citizen_pid,
    )
    assert history.list_for(session, account.id)[0].kind == "login"


def test_officer_login_sets_the_actor(session: Session) -> None:
    account = active_account(session, citizen(session))
    officers.grant_role(session, account, Role.REGISTRY_CLERK, "24121", actor=SYSTEM_ACTOR)
    request = FakeRequest()
    begin_login(request.session, session, account, ("pwd", "otp"), "", "")
    actor = request.session["actor"]
    assert actor["roles"] == ["registry_clerk"] and actor["units"] == ["24121"]
    assert actor["id"] == f"account:{account.id}"


def test_step_up_refused_for_level_1_and_weak_factor(session: Session) -> None:
    account = active_account(session, citizen(session))
    request = FakeRequest()
    login = begin_login(request.session, session, account, ("pwd", "otp"), "", "")
    with pytest.raises(Forbidden) as caught:
        step_up(session, login, "totp")
    assert caught.value.code == "identity.level_insufficient"


def test_step_up_opens_a_level_2_window(session: Session) -> None:
    account = level2_account(session, citizen(session))
    request = FakeRequest()
    login = begin_login(request.session, session, account, ("pwd", "otp"), "", "")
    with pytest.raises(Forbidden):
        step_up(session, login, "otp")
    stepped = step_up(session, login, "totp")
    now = int(utcnow().timestamp())
    assert stepped.level(now) == 2 and stepped.level(now + 601) == 1
    again = current_login(request.session, session)
    assert again is not None and again.step_up_until == stepped.step_up_until
    assert "totp" in again.amr


def test_idle_and_absolute_expiry_and_logout(session: Session) -> None:
    account = active_account(session, citizen(session))
    request = FakeRequest()
    login = begin_login(request.session, session, account, ("pwd", "otp"), "", "")
    now = utcnow()
    assert load_login(session, login.session_id, now=now + timedelta(minutes=29)) is not None
    assert load_login(session, login.session_id, now=now + timedelta(minutes=60)) is None
    row = session.get(LoginSession, login.session_id)
    assert row is not None
    row.created_at = now - timedelta(hours=8, seconds=1)  # active, but too old
    assert current_login(request.session, session) is None
    row.created_at = now
    assert current_login(request.session, session) is not None
    end_login(request.session, session)
    assert request.session == {}
    assert load_login(session, login.session_id) is None


def test_no_login_for_a_closed_account(session: Session) -> None:
    from dancu.identity.accounts import service as accounts

    account = active_account(session, citizen(session))
    accounts.close_for_death(session, account.citizen_pid)
    request = FakeRequest()
    with pytest.raises(Forbidden) as caught:
        begin_login(request.session, session, account, ("pwd", "otp"), "", "")
    assert caught.value.code == "identity.account_inactive"
    assert request.session == {"stale": "cookie data"}
