"""``dancu procedures``: the catalogue check, declared days and the due-date calculator."""

from __future__ import annotations

import os
import time
from pathlib import Path

from typer.testing import CliRunner

from dancu import cli
from dancu.procedures import files
from dancu.procedures.files import Upload

PDF = b"%PDF-1.4\n% a scan\n"


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


def test_sweep_files_removes_an_old_orphan_and_keeps_a_fresh_one(
    cli_database: str, upload_dir: Path
) -> None:
    orphan = files.path_of(files.store(Upload("id_card", "a.pdf", PDF), "application/pdf").sha256)
    fresh = files.path_of(files.store(Upload("id_card", "b.pdf", PDF + b"%\n"), "x").sha256)
    then = time.time() - 2 * 3600
    os.utime(orphan, (then, then))
    result = CliRunner().invoke(cli.app, ["procedures", "sweep-files"])
    assert result.exit_code == 0, result.output
    assert "stored files removed: 1" in result.output
    assert not orphan.exists() and fresh.is_file()
