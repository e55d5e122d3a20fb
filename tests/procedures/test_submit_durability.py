"""Dossiers survive a server killed in the middle of concurrent submissions.

A real server process (uvicorn, production settings) on a PostgreSQL database of its own
takes dossiers with a 200 kB scan through both doors (the citizen portal's multipart form,
signed in; the national portal's JSON API) from several clients at once, and is killed with
SIGKILL while submissions are in flight. After a restart: every dossier that was
acknowledged is whole (record, receipt code, dates, steps, history, its file stored with
the checksum sent), no dossier is half there, a retry with the same idempotency key gets
the dossier already made (not a second one), and the files left by submissions that never
committed are swept without touching a file a dossier needs.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.orm import Session

import dancu
from bench.dossiers import NPSP_PATH, key_of, portal_token
from bench.submitters import (
    COMPONENT,
    Acked,
    Browser,
    Submitter,
    apply_path,
    dossier_count,
    make_submitters,
    npsp_body,
    portal_fields,
    problems,
    receipt_code,
    register_portal,
    scan_pdf,
    sign_in,
    unique_scan,
)
from dancu.db import get_sessionmaker
from dancu.procedures import files, submission
from dancu.procedures.files import Upload
from tests.conftest import BACKENDS, _clear_caches, _create_database, _drop_database, _migrate
from tests.e2e.conftest import _wait_healthy
from tests.procedures.helpers import PDF, TODAY, citizen_with_account, key, pdf

pytestmark = pytest.mark.xdist_group("submit-crash")
PORTAL_CLIENTS, NPSP_CLIENTS = 5, 2
KILL_AFTER = 8  # acknowledged submissions before the kill; the other clients are mid-request


@dataclass
class Attempt:
    """One submission as its client saw it."""

    door: str
    who: int
    tag: str
    scan: bytes
    code: str | None = None  # the acknowledged dossier's code
    status: int | None = None  # an answer that was not an acknowledgement
    unanswered: bool = False  # the connection broke: the server died

    def acked(self) -> Acked:
        assert self.code is not None
        return Acked(self.code, hashlib.sha256(self.scan).hexdigest(), len(self.scan))


@dataclass
class Crash:
    url: str
    store: Path
    submitters: list[Submitter]
    portal: tuple[str, str]
    secret: str
    log: Path


@pytest.fixture
def crash(tmp_path: Path, upload_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Crash]:
    """A migrated PostgreSQL database with citizens and the national portal's client."""
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL does not answer")
    name = f"dancu_crash_{uuid.uuid4().hex[:8]}"
    url = _create_database(name)
    monkeypatch.setenv("DANCU_DATABASE_URL", url)
    _clear_caches()
    try:
        _migrate(url)
        with get_sessionmaker()() as session, session.begin():
            submitters = make_submitters(session, PORTAL_CLIENTS + NPSP_CLIENTS)
            portal = register_portal(session)
        secret = secrets.token_urlsafe(48)
        yield Crash(url, upload_dir, submitters, portal, secret, tmp_path / "server.log")
    finally:
        _clear_caches()
        _drop_database(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(crash: Crash) -> tuple[str, subprocess.Popen[bytes]]:
    """One uvicorn process with production settings (SIGKILL takes the whole server)."""
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(dancu.__file__).resolve().parents[1]),
        "DANCU_ENV": "production",
        "DANCU_DEV_LOGIN": "false",
        "DANCU_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DANCU_SECRET_KEY": crash.secret,
        "DANCU_DATABASE_URL": crash.url,
        "DANCU_PROCEDURES_UPLOAD_DIR": str(crash.store),
        "DANCU_JOBS_IN_PROCESS": "false",  # production: workers run apart
    }
    command = [sys.executable, "-m", "uvicorn", "dancu.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with crash.log.open("ab") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    _wait_healthy(base, proc, crash.log)
    return base, proc


def _send(http: httpx.Client, attempt: Attempt, browser: Browser | None, token: str, who) -> None:  # type: ignore[no-untyped-def]
    """Post ``attempt`` through its door; record what came back (or that nothing did)."""
    try:
        if attempt.door == "portal":
            assert browser is not None
            answer = http.post(
                apply_path(),
                data=portal_fields(browser, key_of(attempt.tag)),
                files={f"file_{COMPONENT}": ("giay-to.pdf", attempt.scan, "application/pdf")},
                headers={"Cookie": browser.cookie},
            )
            attempt.code = receipt_code(answer.status_code, answer.headers.get("location"))
        else:
            answer = http.post(
                NPSP_PATH,
                json=npsp_body(who, attempt.tag, attempt.scan),
                headers={"Authorization": f"Bearer {token}"},
            )
            attempt.code = answer.json()["dossier_code"] if answer.status_code == 200 else None
        if attempt.code is None:
            attempt.status = answer.status_code
    except httpx.TransportError:
        attempt.unanswered = True


def _submit_until_killed(
    crash: Crash, base: str, server: subprocess.Popen[bytes]
) -> tuple[list[Attempt], list[Browser], str]:
    """Every client submits again and again; the server is killed after ``KILL_AFTER``."""
    with httpx.Client(base_url=base, timeout=60) as http:
        browsers = [sign_in(http, crash.url, who) for who in crash.submitters[:PORTAL_CLIENTS]]
    token = portal_token(base, *crash.portal)
    scan = scan_pdf()
    attempts: list[Attempt] = []
    lock, killed = threading.Lock(), threading.Event()

    def client(n: int) -> None:
        door = "portal" if n < PORTAL_CLIENTS else "npsp"
        browser = browsers[n] if door == "portal" else None
        with httpx.Client(base_url=base, timeout=60) as http:
            for i in range(200):
                if killed.is_set():
                    return
                tag = f"crash-{n}-{i}"
                attempt = Attempt(door, n, tag, unique_scan(scan, tag))
                with lock:
                    attempts.append(attempt)
                _send(http, attempt, browser, token, crash.submitters[n])
                with lock:
                    if (
                        sum(a.code is not None for a in attempts) >= KILL_AFTER
                        and not killed.is_set()
                    ):
                        server.send_signal(signal.SIGKILL)  # others are mid-request now
                        killed.set()
                if attempt.unanswered:
                    return

    threads = [threading.Thread(target=client, args=(n,)) for n in range(len(crash.submitters))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if not killed.is_set():  # every submission refused: the assertions on statuses tell
        server.kill()
    server.wait(timeout=30)
    return attempts, browsers, token


def test_a_server_killed_mid_submission_keeps_every_acknowledged_dossier_whole(
    crash: Crash,
) -> None:
    base, server = _start(crash)
    try:
        attempts, browsers, _ = _submit_until_killed(crash, base, server)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
    acked = [a.acked() for a in attempts if a.code is not None]
    unanswered = [a for a in attempts if a.unanswered]
    assert [a.status for a in attempts if a.status is not None] == []  # nothing refused
    assert len(acked) >= KILL_AFTER and unanswered, "the kill came before or after the load"
    assert not any(a.code is None and not a.unanswered for a in attempts)

    base, server = _start(crash)
    try:
        # every acknowledged dossier is whole; no dossier at all is half there
        assert problems(crash.url, crash.store, acked) == []
        before = dossier_count(crash.url)
        assert len(acked) <= before <= len(acked) + len(unanswered)
        # a file no row points to (written, its transaction never committed) is whole too
        orphans = _stored(crash.store) - _in_use(crash.url)
        assert all(_whole(crash.store, name) for name in orphans), orphans
        print(f"{len(acked)} acknowledged; {len(unanswered)} cut off by the kill, of which")
        print(f"{before - len(acked)} had committed; {len(orphans)} files no row pointed to")
        # the same key again, after the restart: the same dossier, never a second one
        token = portal_token(base, *crash.portal)
        with httpx.Client(base_url=base, timeout=60) as http:
            for attempt in unanswered + _one_acked_per_door(attempts):
                first = attempt.code
                attempt.code, attempt.unanswered = None, False
                browser = browsers[attempt.who] if attempt.door == "portal" else None
                _send(http, attempt, browser, token, crash.submitters[attempt.who])
                assert attempt.code is not None, attempt.status
                assert first in (None, attempt.code)
        codes = {a.code for a in attempts if a.code is not None}
        assert dossier_count(crash.url) == len(codes) == len(acked) + len(unanswered)
        assert problems(crash.url, crash.store, [a.acked() for a in attempts if a.code]) == []
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    # files of submissions that never committed: swept; every file a dossier needs: kept
    with get_sessionmaker()() as session:
        files.sweep(session, grace=timedelta(0))
    assert _stored(crash.store) == _in_use(crash.url)
    assert problems(crash.url, crash.store, [a.acked() for a in attempts if a.code]) == []
    # and the check can fail: a stored file cut short is reported
    victim = acked[0]
    path = crash.store / victim.sha256[:2] / victim.sha256[2:4] / victim.sha256
    path.write_bytes(path.read_bytes()[:1000])
    assert problems(crash.url, crash.store, acked) == [
        f"{victim.code}: the stored file {victim.sha256[:12]} is missing or differs"
    ]


def _one_acked_per_door(attempts: list[Attempt]) -> list[Attempt]:
    firsts = {}
    for a in attempts:
        if a.code is not None and not a.unanswered:
            firsts.setdefault(a.door, a)
    return list(firsts.values())


def _stored(store: Path) -> set[str]:
    """Every name in the store: digests, and temporary files if any were left."""
    return {p.name for p in store.glob("??/??/*")}


def _whole(store: Path, name: str) -> bool:
    """A temporary file of a killed write (the sweep's), or a file whose bytes are its name."""
    if name.startswith(files.TEMP_PREFIX):
        return True
    path = store / name[:2] / name[2:4] / name
    return hashlib.sha256(path.read_bytes()).hexdigest() == name


def _in_use(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT DISTINCT sha256 FROM procedure_file")}


# ---------------------------------------------------------------------------- the sweep


def _age(path: Path, hours: float = 2) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_the_sweep_removes_only_what_no_dossier_needs(session: Session, upload_dir: Path) -> None:
    _c, applicant = citizen_with_account(session, card=False)
    dossier = submission.save(
        session,
        applicant,
        "1.004873",
        {"purpose": "Kết hôn"},
        [pdf("id_card")],
        key=key(),
        submit=True,
        today=TODAY,
    )
    result = files.store(Upload("result", "kq.pdf", PDF + b"% result\n"), "application/pdf")
    dossier.result = {"pdf_sha256": result.sha256}
    orphan = files.store(Upload("id_card", "a.pdf", PDF + b"% never committed\n"), "x")
    reused = files.store(Upload("id_card", "b.pdf", PDF + b"% sent again\n"), "x")
    fresh = files.store(Upload("id_card", "c.pdf", PDF + b"% being submitted\n"), "x")
    session.flush()
    upload = files.path_of(hashlib.sha256(PDF).hexdigest())
    temp = upload.parent / f"{files.TEMP_PREFIX}killed"
    temp.write_bytes(PDF[:10])  # a write killed before its rename
    for path in upload_dir.glob("??/??/*"):
        _age(path)
    _age(files.path_of(fresh.sha256), hours=0.1)
    files.store(Upload("id_card", "b.pdf", PDF + b"% sent again\n"), "x")  # reused: touched
    removed = files.sweep(session)
    assert sorted(removed) == sorted([files.path_of(orphan.sha256), temp])
    for kept in (upload, files.path_of(result.sha256), files.path_of(reused.sha256)):
        assert kept.is_file()
    assert files.path_of(fresh.sha256).is_file()  # younger than the grace: maybe in flight


def test_a_file_moved_aside_by_a_killed_sweep_comes_back(
    session: Session, upload_dir: Path
) -> None:
    stored = files.store(Upload("id_card", "a.pdf", PDF), "application/pdf")
    target = files.path_of(stored.sha256)
    target.rename(target.with_name(files.ASIDE_PREFIX + target.name))
    assert files.sweep(session) == []
    assert target.read_bytes() == PDF
