"""The ``dancu`` command registers the domains' commands lazily: ``dancu --help`` lists them
all without importing any domain, a command imports only its own domain, and the outbox
handlers are subscribed before this process first delivers an event."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dancu
from dancu import cli
from dancu.common.outbox import Dispatcher

SRC = str(Path(dancu.__file__).resolve().parents[1])
DOMAINS = ("registry", "identity", "procedures", "exchange", "linkage", "payments", "demo")


def _imported_after(*args: str) -> set[str]:
    """The domain packages a fresh ``dancu ARGS`` process has imported when it exits."""
    code = (
        "import sys\nfrom dancu.cli import app\ntry:\n    app()\nexcept SystemExit:\n    pass\n"
        "print('DOMAINS:', *sorted({m.split('.')[1] for m in sys.modules"
        f" if m.startswith('dancu.') and m.split('.')[1] in {DOMAINS!r}}}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": SRC, "COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("DOMAINS:"))
    return set(line.split()[1:])


def test_help_lists_every_command_with_its_own_summary() -> None:
    result = CliRunner().invoke(cli.app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in ("serve", "worker", "db", "audit", "outbox", "dev-token", *cli.LAZY):
        assert f" {name} " in result.output
    for name, spec in cli.LAZY.items():
        loaded = cli.load_command(name)
        assert loaded.name == name
        assert (loaded.help or "").split("\n")[0].strip() == spec.summary
        assert spec.summary in result.output


def test_a_domains_commands_run_as_before() -> None:
    result = CliRunner().invoke(cli.app, ["identity", "client", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "rotate-keys" in result.output
    again = CliRunner().invoke(cli.app, ["identity", "--help"], env={"COLUMNS": "200"})
    assert again.output.count(" client ") == 1 and " wallet " in again.output
    assert CliRunner().invoke(cli.app, ["nonesuch"]).exit_code == 2


@pytest.mark.slow
def test_help_imports_no_domain_and_linkage_only_its_own() -> None:
    assert _imported_after("--help") == set()
    linkage = _imported_after("linkage", "--help")
    assert "linkage" in linkage
    assert not linkage & {"procedures", "demo", "payments", "exchange"}


def test_wiring_runs_once_before_handlers_are_first_looked_up() -> None:
    target, calls = Dispatcher(), []

    def handler(session, payload) -> None:  # type: ignore[no-untyped-def]
        pass

    def wire() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("an import failed")
        target.subscribe("t", handler)

    target.wire_before_delivery(wire)
    with pytest.raises(RuntimeError):
        target.handlers("t")
    assert target.handlers("t") == [handler]  # tried again, then kept
    assert target.handlers("t") == [handler] and len(calls) == 2
