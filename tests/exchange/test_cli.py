"""``dancu exchange ...`` on a migrated SQLite file: a partner's whole credential life."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from dancu.cli import app
from dancu.db.uow import unit_of_work
from dancu.exchange.partners import service as partners


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, ["exchange", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_partner_credential_rotate_revoke_and_kiosk(cli_database):
    _run(
        "partner",
        "add",
        "bv-cli",
        "--name",
        "Bệnh viện CLI",
        "--kind",
        "hospital",
        "--facility",
        "66001",
    )
    issued = _run("partner", "credential", "bv-cli", "--days", "30")
    first = re.search(r"client_id: (\S+)", issued).group(1)  # type: ignore[union-attr]
    assert "secret:" in issued and "(shown once)" in issued
    rotated = _run("partner", "rotate", first, "--overlap-hours", "2")
    second = re.search(r"client_id: (\S+)", rotated).group(1)  # type: ignore[union-attr]
    assert second != first
    _run("partner", "revoke", second)
    with unit_of_work() as session:
        partner = partners.get_partner(session, "bv-cli")
        creds = {c.client_id: c for c in partners.credentials_of(session, partner)}
        assert creds[first].rotated_at is not None and creds[first].revoked_at is None
        assert creds[second].revoked_at is not None
    assert "enrolment code" in _run("kiosk", "bv-cli", "--name", "Sảnh A")


def test_an_unknown_kind_is_refused_with_its_code(cli_database):
    result = CliRunner().invoke(
        app, ["exchange", "partner", "add", "x-1", "--name", "Ai đó", "--kind", "shop"]
    )
    assert result.exit_code == 2
    assert "exchange.partner_kind" in result.output
