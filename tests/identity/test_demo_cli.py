"""The demo accounts (through ``dancu demo``) and the ``dancu identity`` commands."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dancu import cli
from dancu.db.uow import unit_of_work
from dancu.demo.accounts import DEMO_PASSWORD, PLAN
from dancu.identity.accounts import officers
from dancu.identity.accounts import repository as repo
from dancu.identity.auth import signin, totp
from dancu.identity.wallet.models import WalletCredential

pytestmark = pytest.mark.xdist_group("cli")


def test_demo_creates_accounts_that_can_sign_in(cli_database: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli.app, ["demo", "--citizens", "400"])
    assert result.exit_code == 0, result.output
    listed = re.findall(r"^\s+(\d{12})\s+level (\d)", result.output, flags=re.M)
    assert [int(level) for _, level in listed] == [level for _, level, _, _ in PLAN]
    with unit_of_work() as session:
        for pid, level in listed:
            account = repo.account_by_pid(session, pid)
            assert account is not None and account.level == int(level)
            assert signin.check_password(session, pid, DEMO_PASSWORD).error is None
            assert totp.enabled(account) == (level == "2")
            documents = session.scalars(
                select(WalletCredential.id).where(WalletCredential.account_id == account.id)
            ).all()
            assert bool(documents) == (level == "2")  # level-2 holders find a filled wallet
        police_pid = listed[6][0]
        actor = officers.actor_for(session, repo.account_by_pid(session, police_pid))  # type: ignore[arg-type]
        assert [r.value for r in actor.roles] == ["police"] and len(actor.units[0]) == 5
    code = runner.invoke(cli.app, ["identity", "totp-code", listed[3][0]])
    assert code.exit_code == 0 and re.fullmatch(r"\d{6}\n", code.output)
    no_totp = runner.invoke(cli.app, ["identity", "totp-code", listed[0][0]])
    assert no_totp.exit_code == 1
    grant = runner.invoke(
        cli.app,
        ["identity", "officer", "add", listed[0][0], "--role", "registry_clerk", "--unit", "66"],
    )
    assert grant.exit_code == 0, grant.output
    listing = runner.invoke(cli.app, ["identity", "officer", "list", listed[0][0]])
    assert "registry_clerk\t66" in listing.output
    unknown_unit = runner.invoke(
        cli.app, ["identity", "officer", "add", listed[0][0], "--role", "police", "--unit", "9"]
    )
    assert unknown_unit.exit_code == 1 and "identity.unit_unknown" in unknown_unit.output
    stats = runner.invoke(cli.app, ["identity", "stats", "--province", "66"])
    assert stats.exit_code == 0 and "registered" in stats.output


def test_totp_code_refused_outside_development(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dancu import settings

    monkeypatch.setenv("DANCU_DEV_LOGIN", "false")
    settings.get_settings.cache_clear()
    result = CliRunner().invoke(cli.app, ["identity", "totp-code", "066090000001"])
    settings.get_settings.cache_clear()
    assert result.exit_code == 2 and "only in development" in result.output
