"""``dancu identity client add|list|rotate-keys`` against a migrated SQLite file."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from dancu import cli

runner = CliRunner()


def test_add_list_and_rotate(cli_database, tmp_path):
    added = runner.invoke(
        cli.app,
        [
            "identity",
            "client",
            "add",
            "portal",
            "--name",
            "Cổng DVC",
            "--redirect-uri",
            "https://portal.example.vn/cb",
            "--scope",
            "openid",
            "--scope",
            "profile",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "client_secret (shown once):" in added.output
    listed = runner.invoke(cli.app, ["identity", "client", "list"])
    assert "portal" in listed.output and "client_secret_basic" in listed.output
    first = runner.invoke(cli.app, ["identity", "client", "rotate-keys"])
    second = runner.invoke(cli.app, ["identity", "client", "rotate-keys"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert second.output.count("current") == 1 and second.output.count("retires") == 1


def test_fapi2_client_must_use_private_key_jwt(cli_database, tmp_path):
    bad = runner.invoke(
        cli.app,
        [
            "identity",
            "client",
            "add",
            "bank",
            "--name",
            "Bank",
            "--redirect-uri",
            "https://bank.example.vn/cb",
            "--fapi2",
        ],
    )
    assert bad.exit_code == 1 and "oidc.client_fapi2" in bad.output
    jwks = tmp_path / "jwks.json"
    jwks.write_text(
        json.dumps(
            {
                "keys": [
                    {
                        "kty": "EC",
                        "crv": "P-256",
                        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
                    }
                ]
            }
        )
    )
    ok = runner.invoke(
        cli.app,
        [
            "identity",
            "client",
            "add",
            "bank",
            "--name",
            "Bank",
            "--auth",
            "private_key_jwt",
            "--jwks",
            str(jwks),
            "--redirect-uri",
            "https://bank.example.vn/cb",
            "--fapi2",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "client_secret" not in ok.output


def test_wrong_redirect_uri_is_refused_at_registration(cli_database):
    bad = runner.invoke(
        cli.app,
        [
            "identity",
            "client",
            "add",
            "x",
            "--name",
            "X",
            "--redirect-uri",
            "http://evil.example/cb",
        ],
    )
    assert bad.exit_code == 1 and "oidc.client_redirect" in bad.output
