"""``dancu identity client add --partner-*`` and ``client partner`` against a SQLite file."""

from __future__ import annotations

from typer.testing import CliRunner

from dancu import cli

runner = CliRunner()
PARTNER = [
    "--partner-role",
    "procedure_officer",
    "--partner-unit",
    "66",
    "--partner-organization",
    "Bệnh viện Tỉnh",
    "--partner-purpose",
    "verification",
]


def _add(client_id: str, *options: str) -> object:
    return runner.invoke(
        cli.app,
        [
            "identity",
            "client",
            "add",
            client_id,
            "--name",
            client_id.title(),
            "--grant",
            "client_credentials",
            "--scope",
            "registry.read",
            *options,
        ],
    )


def test_add_a_partner_client_and_list_its_binding(cli_database):
    added = _add("hospital", *PARTNER)
    assert added.exit_code == 0, added.output  # type: ignore[attr-defined]
    listed = runner.invoke(cli.app, ["identity", "client", "list"]).output
    line = next(row for row in listed.splitlines() if row.startswith("hospital"))
    assert "roles=procedure_officer" in line and "units=66" in line
    assert "organization=Bệnh viện Tỉnh" in line and "purposes=verification" in line


def test_a_bad_binding_registers_nothing(cli_database):
    bad = _add(
        "hospital",
        "--partner-role",
        "system",
        "--partner-organization",
        "X",
        "--partner-purpose",
        "verification",
    )
    assert bad.exit_code == 1 and "api.partner_role" in bad.output  # type: ignore[attr-defined]
    listed = runner.invoke(cli.app, ["identity", "client", "list"]).output
    assert "hospital" not in listed  # one transaction: the client was not kept either


def test_a_partner_without_unit_is_refused_not_nationwide(cli_database):
    no_unit = [o for o in PARTNER if o not in ("--partner-unit", "66")]
    refused = _add("hospital", *no_unit)
    assert refused.exit_code == 1  # type: ignore[attr-defined]
    assert "api.partner_unit" in refused.output  # type: ignore[attr-defined]
    assert "--partner-unit" in refused.output  # type: ignore[attr-defined]
    assert "hospital" not in runner.invoke(cli.app, ["identity", "client", "list"]).output
    added = _add("hospital", *no_unit, "--partner-nationwide")
    assert added.exit_code == 0, added.output  # type: ignore[attr-defined]
    listed = runner.invoke(cli.app, ["identity", "client", "list"]).output
    assert "units=*" in next(row for row in listed.splitlines() if row.startswith("hospital"))


def test_bind_an_existing_client_later(cli_database):
    assert _add("bank").exit_code == 0  # type: ignore[attr-defined]
    options = [
        "identity",
        "client",
        "partner",
        "bank",
        "--role",
        "procedure_officer",
        "--organization",
        "Ngân hàng",
        "--purpose",
        "verification",
    ]
    refused = runner.invoke(cli.app, options)
    assert refused.exit_code == 1 and "api.partner_unit" in refused.output
    bound = runner.invoke(cli.app, [*options, "--nationwide"])
    assert bound.exit_code == 0, bound.output
    listed = runner.invoke(cli.app, ["identity", "client", "list"]).output
    assert "organization=Ngân hàng" in listed and "units=*" in listed
