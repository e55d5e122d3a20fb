"""Browser tests: a real ``dancu serve`` over a fresh demo database, driven in Chromium.

The server is the installed command line, run as a subprocess against a temporary SQLite
file (migrated, then seeded with ``dancu demo``), so these tests see what ``make run`` serves.
They need the system Chromium: without it they are skipped, unless DANCU_REQUIRE_BROWSER=1
(CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DANCU = ROOT / ".venv" / "bin" / "dancu"
CHROMIUM = Path(os.environ.get("DANCU_CHROMIUM", "/usr/bin/chromium"))
WAIT_MS = 20_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_CITIZENS = 400
START_TIMEOUT = 120.0  # a server start waits on imports; on a loaded CI machine that took >30 s


@dataclass(frozen=True)
class Server:
    url: str
    db_path: Path

    def query(self, sql: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
        """Read the server's database directly (read-only), e.g. to pick a known citizen."""
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as conn:
            return conn.execute(sql, params).fetchall()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(DANCU), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        pytest.fail(f"dancu {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dancu serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"dancu serve did not answer /healthz in {START_TIMEOUT}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``dancu serve`` on a free port over a freshly migrated and seeded SQLite file."""
    tmp = tmp_path_factory.mktemp("e2e")
    db_path = tmp / "e2e.db"
    port = _free_port()  # before the demo, which registers the sample portal's callbacks
    env = {
        **os.environ,
        "DANCU_DATABASE_URL": f"sqlite:///{db_path}",
        "DANCU_ENV": "development",
        "DANCU_DEV_LOGIN": "true",
        "DANCU_DEFAULT_LANGUAGE": "vi",
        "DANCU_DEMO_PROVINCE": "66",
        "DANCU_PORT": str(port),
        "DANCU_IDENTITY_CSCA_DIR": str(tmp / "csca"),
        "DANCU_PROCEDURES_CA_DIR": str(tmp / "procedures-ca"),  # the demo provincial CA
        "DANCU_PROCEDURES_NPSP_FILE": str(tmp / "npsp-outbound.jsonl"),
        # Every browser test signs in one of the same few demo accounts on this one server:
        # with the real limit (5 SMS codes per account in 15 minutes) the tests' sign-ins
        # add up and the later ones are refused. The limit itself is tested in
        # tests/identity/test_signin.py.
        "DANCU_IDENTITY_OTP_SENDS": "1000",
    }
    _run(["db", "upgrade"], env)
    _run(["demo", "--citizens", str(DEMO_CITIZENS)], env)
    url = f"http://127.0.0.1:{port}"
    log = tmp / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(DANCU), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, proc, log)
        yield Server(url=url, db_path=db_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        if os.environ.get("DANCU_REQUIRE_BROWSER") == "1":
            pytest.fail(f"DANCU_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    # The suite shares two cores with a PostgreSQL and the other test worker; under that
    # load a page can take more than the default 5 s. These are waits for a condition,
    # not timings: a page that never shows what a test expects still fails.
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def offsite_requests() -> list[str]:
    """URLs the page tried to load from anywhere but the server under test (a CDN...)."""
    return []


def _new_page(browser, server: Server, offsite: list[str], **context_args):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server.url, locale="vi-VN", **context_args)
    context.set_default_timeout(WAIT_MS)
    here = urlsplit(server.url).netloc

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(route.request.url).netloc == here:
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    return context, context.new_page()


@pytest.fixture
def page(browser, server: Server, offsite_requests: list[str]):  # type: ignore[no-untyped-def]
    """A fresh desktop browser tab (own cookies); nothing may load from another host."""
    context, tab = _new_page(
        browser, server, offsite_requests, viewport={"width": 1280, "height": 900}
    )
    yield tab
    context.close()
    assert offsite_requests == []


@pytest.fixture
def phone(browser, server: Server, offsite_requests: list[str]):  # type: ignore[no-untyped-def]
    """A fresh tab the size of a 390x844 phone screen, with touch."""
    context, tab = _new_page(
        browser,
        server,
        offsite_requests,
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
    yield tab
    context.close()
    assert offsite_requests == []
