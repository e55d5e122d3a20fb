"""``dancu payments ...`` on a demo database: prepare, approve (not by the preparer), files,
the simulated bank's answers reconciled, figures."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from dancu import cli


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli.app, list(args))


def test_a_month_from_the_command_line(cli_database: str, tmp_path: Path) -> None:
    seeded = invoke("demo", "--citizens", "600", "--no-sector")
    assert seeded.exit_code == 0, seeded.output
    assert "6 cycles" in " ".join(seeded.output.split())  # 2 programmes x 3 months
    listed = invoke("payments", "programmes")
    assert listed.exit_code == 0 and "elderly_80_no_pension" in listed.output
    today = date.today()
    month = f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"
    prepared = invoke("payments", "prepare", "--month", month, "--by", "Phúc")
    assert prepared.exit_code == 0, prepared.output
    cycle = re.search(r"cycle (\d+):", prepared.output).group(1)  # type: ignore[union-attr]
    same = invoke("payments", "approve", cycle, "--by", "Phúc")
    assert same.exit_code == 1 and "payments.same_officer" in same.output
    assert invoke("payments", "approve", cycle, "--by", "Thu").exit_code == 0
    out = tmp_path / "files"
    made = invoke("payments", "files", cycle, "--out", str(out), "--by", "Phúc")
    assert made.exit_code == 0, made.output
    xml = sorted(out.glob("PAY-*.xml"))
    assert xml and sorted(out.glob("POST-*.csv"))
    answers = tmp_path / "answers"
    for f in xml:
        assert invoke("payments", "simulate-bank", str(f), "--out", str(answers)).exit_code == 0
    for f in sorted(answers.glob("*.xml")):
        done = invoke("payments", "reconcile", str(f), "--by", "Phúc")
        assert done.exit_code == 0 and "0 reported" in done.output, done.output
    again = invoke("payments", "reconcile", str(sorted(answers.glob("*.xml"))[0]))
    assert again.exit_code == 1 and "payments.file_duplicate" in again.output
    figures = invoke("payments", "figures", "--month", month)
    assert figures.exit_code == 0 and "social" in figures.output  # the table wraps at 80
