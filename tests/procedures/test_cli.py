"""``dancu procedures``: the catalogue check, declared days and the due-date calculator."""

from __future__ import annotations

from typer.testing import CliRunner

from dancu import cli


def test_catalogue_lists_at_least_forty_procedures() -> None:
    result = CliRunner().invoke(cli.app, ["procedures", "catalogue"])
    assert result.exit_code == 0, result.output
    assert "1.001193" in result.output and "45 procedures" in result.output


def test_declare_a_province_day_off_and_see_the_deadline_move(cli_database: str) -> None:
    runner = CliRunner()
    before = runner.invoke(
        cli.app, ["procedures", "calendar", "due", "2026-03-09", "1", "--province", "66"]
    )
    assert before.output.strip() == "2026-03-10"
    added = runner.invoke(
        cli.app,
        [
            "procedures",
            "calendar",
            "add",
            "2026-03-10",
            "off",
            "--province",
            "66",
            "--note",
            "Lễ hội",
        ],
    )
    assert added.exit_code == 0, added.output
    after = runner.invoke(
        cli.app, ["procedures", "calendar", "due", "2026-03-09", "1", "--province", "66"]
    )
    assert after.output.strip() == "2026-03-11"
    listed = runner.invoke(cli.app, ["procedures", "calendar", "list"])
    assert "2026-03-10 off 66 Lễ hội" in listed.output
    bad = runner.invoke(cli.app, ["procedures", "calendar", "add", "2026-03-10", "holiday"])
    assert bad.exit_code == 1 and "procedures.day_invalid" in bad.output
    assert runner.invoke(cli.app, ["procedures", "escalate"]).exit_code == 0
