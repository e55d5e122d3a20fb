"""The simulated banks and post office are development parts: a production-configured app
never imports ``payments.simulated`` and has no simulated bank to ask (the banks' mapper is
plugged in by the deployment)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = """
import json, sys
from fastapi.routing import iter_route_contexts
from dancu.app import create_app
from dancu.settings import Settings
settings = Settings(
    _env_file=None, env="production", secret_key="x" * 48 + "Strong-Secret-9!", dev_login=False,
    public_url="https://dichvucong.example.gov.vn", jobs_url="redis://127.0.0.1:6379/0",
)
app = create_app(settings) if sys.argv[1] == "production" else create_app()
print(json.dumps({
    "imported": "dancu.payments.simulated" in sys.modules,
    "directory": type(getattr(app.state, "account_directory", None)).__name__,
    "paths": sorted({c.path for c in iter_route_contexts(app.routes)}),
}))
"""


def _app_facts(kind: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, kind],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_never_imports_the_simulated_banks() -> None:
    production = _app_facts("production")
    assert production["imported"] is False
    assert production["directory"] == "NoneType"
    assert not [p for p in production["paths"] if "simulat" in str(p)]
    assert "/payments" in production["paths"]  # the real pages are there


def test_development_mounts_the_simulated_banks() -> None:
    development = _app_facts("development")
    assert (development["imported"], development["directory"]) == (True, "BankNetwork")
