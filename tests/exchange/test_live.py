"""The exchange door against real servers: the integrator's client script (Authlib,
private_key_jwt, DPoP) against a live server, and the rate limit held across two
``dancu serve`` processes that share Redis."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn
from joserfc.jwk import ECKey
from typer.testing import CliRunner

import dancu
from dancu import cli
from dancu.app import create_app
from dancu.common.access import SYSTEM_ACTOR
from dancu.db.uow import unit_of_work
from dancu.exchange.partners import service as partners
from dancu.exchange.partners.schemas import PartnerIn, PurposeIn
from tests.conftest import (
    BACKENDS,
    REDIS_URL,
    _clear_caches,
    _create_database,
    _drop_database,
    _redis_answers,
)
from tests.exchange.conftest import FACILITY, give_card
from tests.registry.factories import person

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "exchange" / "checkin_client.py"
pytestmark = pytest.mark.xdist_group("exchange-live")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live(cli_database: str) -> Iterator[str]:
    app = create_app()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_integrators_client_script_checks_a_patient_in(live: str, tmp_path: Path) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "hospital-1"})
    with unit_of_work() as session:
        partners.register_partner(
            session,
            PartnerIn(
                code="bv-live", name="Bệnh viện Live", kind="hospital", facility_code=FACILITY
            ),
            actor=SYSTEM_ACTOR,
        )
        new = partners.issue_credential(
            session, "bv-live", actor=SYSTEM_ACTOR, jwks={"keys": [key.as_dict(private=False)]}
        )
        patient = person(session, "Hồ Thị Live", birth_date=date(1979, 8, 1), sex="F")
        give_card(session, patient)
        pid, client_id = patient.pid, new.client_id
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(key.as_dict(private=True)))
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--server",
            live,
            "--client-id",
            client_id,
            "--key",
            str(key_file),
            "--pid",
            pid,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["full_name"] == "Hồ Thị Live"
    assert answer["insurance_valid"] is True
    assert "pid" not in answer and "permanent_address" not in answer


# -- two server processes, one Redis ---------------------------------------------------


@pytest.fixture
def two_servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL does not answer")
    if not _redis_answers():
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    name = f"dancu_exchange_{uuid.uuid4().hex[:8]}"
    env = {
        "DANCU_DATABASE_URL": _create_database(name),
        "DANCU_EXCHANGE_RATE_LIMIT_URL": REDIS_URL,
        "DANCU_JOBS_URL": "memory://",
        "DANCU_JOBS_IN_PROCESS": "false",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    _clear_caches()
    assert CliRunner().invoke(cli.app, ["db", "upgrade"]).exit_code == 0
    src = str(Path(dancu.__file__).resolve().parents[1])
    procs, urls = [], []
    for _ in range(2):
        port = _free_port()
        full = {**os.environ, **env, "PYTHONPATH": os.pathsep.join([src, str(ROOT)])}
        log = (tmp_path / f"server-{port}.log").open("ab")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from dancu.cli import app; app()",
                    "serve",
                    "--port",
                    str(port),
                ],
                env=full,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    for url in urls:
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "a server did not start"
            time.sleep(0.3)
    yield urls
    for p in procs:
        p.terminate()
        p.wait(timeout=20)
    _clear_caches()
    _drop_database(name)


def test_the_rate_limit_holds_across_two_server_processes(two_servers: list[str]) -> None:
    code = f"bv-{uuid.uuid4().hex[:8]}"
    with unit_of_work() as session:
        partners.register_partner(
            session,
            PartnerIn(
                code=code,
                name="Bệnh viện Hai",
                kind="hospital",
                facility_code=FACILITY,
                purposes=[PurposeIn(purpose="health_checkin", rate_per_minute=4)],
            ),
            actor=SYSTEM_ACTOR,
        )
        new = partners.issue_credential(session, code, actor=SYSTEM_ACTOR)
        patient = person(session, "Đinh Văn Hai", birth_date=date(1966, 2, 2))
        pid = patient.pid
    token = httpx.post(
        f"{two_servers[0]}/oidc/token",
        data={"grant_type": "client_credentials", "scope": "exchange.use"},
        auth=(new.client_id, new.secret or ""),
        timeout=30,
    ).json()["access_token"]
    statuses = []
    for i in range(6):  # alternate between the two processes
        response = httpx.post(
            f"{two_servers[i % 2]}/api/exchange/checkin",
            json={"pid": pid},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,  # a loaded machine: slow is not wrong here
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert response.json()["code"] == "exchange.rate_limited"
            assert int(response.headers["Retry-After"]) >= 1
    # in one minute window: four answered, then refused whichever process is asked
    # (a window boundary between requests could reset the count: then at most 4 again)
    assert statuses.count(200) == 4 or statuses[:4] == [200] * 4
    assert 429 in statuses
