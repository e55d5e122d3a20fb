"""``dancu identity wallet``: issuer metadata and re-signing after a key rotation."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from dancu import cli


def test_metadata_and_reissue_commands(cli_database):
    runner = CliRunner()
    shown = runner.invoke(cli.app, ["identity", "wallet", "metadata"])
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    assert body["issuer"] and len(body["jwks"]["keys"]) == 1
    done = runner.invoke(cli.app, ["identity", "wallet", "reissue"])
    assert done.exit_code == 0, done.output
    assert "0 credentials re-signed" in done.output
