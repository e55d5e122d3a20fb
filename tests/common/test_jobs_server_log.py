"""``dancu serve`` shows its in-process worker's jobs in its log: each job's start, finish
and failure at INFO (ERROR for the failure) on the server's stderr. Before, uvicorn's
logging configuration left the ``huey`` logger without a handler: the lines were lost, and
a failing job printed a bare traceback."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

import dancu

# `dancu serve` with one more scheduled job, which fails at once.
SERVER_WITH_A_FAILING_JOB = """
from dancu.common.jobs import every, periodic

@periodic(every(lambda settings: 3600.0))
def explode():
    raise RuntimeError("a job that fails on purpose")

from dancu.cli import app
app()
"""
CLI = "from dancu.cli import app; app()"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_server_logs_its_jobs_start_finish_and_failure(tmp_path: Path) -> None:
    src = str(Path(dancu.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "DANCU_DATABASE_URL": f"sqlite:///{tmp_path / 'dancu.db'}",
        "DANCU_JOBS_URL": "",
        "DANCU_JOBS_IN_PROCESS": "true",
        "DANCU_ENV": "development",
        "DANCU_LINKAGE_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    subprocess.run([sys.executable, "-c", CLI, "db", "upgrade"], env=env, check=True)
    port = _free_port()
    err, out = tmp_path / "stderr.log", tmp_path / "stdout.log"
    with err.open("wb") as stderr, out.open("wb") as stdout:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER_WITH_A_FAILING_JOB, "serve", "--port", str(port)],
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            log = err.read_text()
            if "a job that fails on purpose" in log and re.search(
                r"seal_audit_log.* executed in", log
            ):
                break
            time.sleep(0.5)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    log = err.read_text()
    lines = log.splitlines()
    started = [line for line in lines if " INFO huey" in line and "Executing" in line]
    finished = [line for line in lines if " INFO huey" in line and " executed in " in line]
    failed = [line for line in lines if " ERROR huey" in line and "Unhandled exception" in line]
    assert any("dancu.common.tasks.seal_audit_log" in line for line in started), log
    assert any("seal_audit_log" in line for line in finished), log
    assert len(failed) == 1 and "RuntimeError: a job that fails on purpose" in log, log
    assert "Uvicorn running on" in log  # uvicorn's own lines are still there
