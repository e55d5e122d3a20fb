"""The bank's eKYC client script (docs/exchange/ekyc_client.py: Authlib, private_key_jwt,
DPoP) against a live server: a genuine chip is verified and the signed result checked with
the published keys; a lost card is refused with its code."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from joserfc.jwk import ECKey

from dancu.app import create_app
from dancu.common.access import SYSTEM_ACTOR
from dancu.db.uow import unit_of_work
from dancu.demo.chips import make_csca, make_document_signer
from dancu.exchange.partners import service as partners
from dancu.exchange.partners.schemas import PartnerIn
from dancu.registry import cards
from tests.conftest import _clear_caches
from tests.exchange.ekyc_world import chip_of, issue
from tests.registry.factories import person

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "exchange" / "ekyc_client.py"
pytestmark = pytest.mark.xdist_group("exchange-live")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(
    cli_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A live server (with its job worker) on a migrated SQLite file."""
    monkeypatch.setenv("DANCU_IDENTITY_CSCA_DIR", str(tmp_path / "csca"))
    monkeypatch.setenv("DANCU_LINKAGE_UPLOAD_DIR", str(tmp_path / "uploads"))
    _clear_caches()
    app = create_app()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
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


def bank_with_key(code: str, tmp_path: Path) -> tuple[str, Path]:
    """A bank partner whose credential is its public key; (client id, private JWK file)."""
    key = ECKey.generate_key("P-256", parameters={"kid": f"{code}-1"})
    with unit_of_work() as session:
        partners.register_partner(
            session, PartnerIn(code=code, name="Ngân hàng Live", kind="bank"), actor=SYSTEM_ACTOR
        )
        new = partners.issue_credential(
            session, code, actor=SYSTEM_ACTOR, jwks={"keys": [key.as_dict(private=False)]}
        )
        client_id = new.client_id
    key_file = tmp_path / f"{code}-key.json"
    key_file.write_text(json.dumps(key.as_dict(private=True)))
    return client_id, key_file


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def chip_file(tmp_path: Path, bundle: Any) -> Path:
    path = tmp_path / "chip.json"
    path.write_text(bundle.to_json())
    return path


def test_the_integrators_ekyc_script_verifies_a_chip(live_server: str, tmp_path: Path) -> None:
    csca = make_csca()
    (tmp_path / "csca").mkdir()
    (tmp_path / "csca" / "csca.pem").write_bytes(csca.pem())
    signer = make_document_signer(csca)
    client_id, key_file = bank_with_key("nh-live", tmp_path)
    with unit_of_work() as session:
        holder = person(session, "Vũ Thị Live", birth_date=date(1991, 9, 9), sex="F")
        good = chip_of(signer, holder, issue(session, holder))
        lost = person(session, "Đinh Văn Mất", birth_date=date(1987, 7, 7))
        lost_card = issue(session, lost)
        cards.transition_card(session, lost_card.id, "report_lost", actor=SYSTEM_ACTOR)
        lost_chip = chip_of(signer, lost, lost_card)
        pids = holder.pid, lost.pid
    common = ["--server", live_server, "--client-id", client_id, "--key", str(key_file)]
    ok = run_script(
        SCRIPT,
        *common,
        "--chip",
        str(chip_file(tmp_path, good)),
        "--pid",
        pids[0],
        "--attribute",
        "full_name",
        "--attribute",
        "alive",
    )
    assert ok.returncode == 0, ok.stderr
    result = json.loads(ok.stdout)
    assert result["verdict"] == "verified" and result["sub"] == pids[0]
    assert result["attributes"] == {"alive": True, "full_name": "Vũ Thị Live"}
    assert result["checks"]["face"]["status"] == "not_performed"
    refused = run_script(
        SCRIPT, *common, "--chip", str(chip_file(tmp_path, lost_chip)), "--pid", pids[1]
    )
    assert refused.returncode == 1
    assert "ekyc.card_lost" in refused.stderr
