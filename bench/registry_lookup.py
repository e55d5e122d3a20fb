"""Look-ups by ID number over HTTP against the same server's ``/healthz``.

One uvicorn server (production settings; ``make bench`` gives it one worker so that on a
two-core machine the server, PostgreSQL and the load generator are not three processes
fighting over two cores; ``--workers N`` to change) serves a registry of ``citizens`` on
PostgreSQL. The load generator, in its own process, first finds each endpoint's peak with a
closed loop (``/healthz`` and the look-up alternate, twice each), then measures the
look-up's sustained peak with a closed loop as long as the open loop (15 s, the sealer's and
the WAL's share of the work included), and drives the look-up open-loop at 70% of each peak
(the 8 s one and the sustained one), the sealer caught up before each, to read p50 and p99
from the scheduled send times. A look-up is the whole path a real client takes: bearer-token
check, purpose check, the citizen read scoped to the officer's province, the audit entry
written and committed, the JSON answer. ``/healthz`` runs ``SELECT 1`` through the same
pool, so the ratio is what the registry adds on top of the web stack and a database round
trip.

The bearer token is what a partner really sends: a registry clerk's partner client is
registered in the database (``client add --partner-role ...``), and the load generator's
token comes from the server's token endpoint (client credentials). Side by side, a
development server (``DANCU_DEV_LOGIN`` on) takes the old self-contained development token
(no database look-up), which shows what verifying an access token costs.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from bench import loadgen
from bench.common import PROVINCE, Table, goal

PURPOSE = "verification"
WARMUP_SECONDS = 3.0
PEAK_SECONDS = 8.0
OPEN_SECONDS = 15.0
CONCURRENCY = 16


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(
    url: str,
    secret: str,
    workers: int,
    *,
    dev: bool = False,
    source: str | None = None,
    jobs_apart: bool = True,
) -> Iterator[str]:
    """A production-configured uvicorn on a free port (``dev``: development settings with
    development tokens; ``source``: the ``src`` directory of another tree to serve, for a
    before/after comparison); yields its base URL.

    ``jobs_apart`` (the production topology of docs/operations.md): the server runs no job
    worker (``DANCU_JOBS_IN_PROCESS=false``) and a ``dancu worker`` beside it seals the audit
    entries and runs the schedule, on the same two cores; otherwise the server runs the
    worker in process, as ``make run`` does."""
    port = _free_port()
    env = {
        **os.environ,
        **({"PYTHONPATH": source} if source else {}),
        "DANCU_ENV": "development" if dev else "production",
        "DANCU_DEV_LOGIN": "true" if dev else "false",
        "DANCU_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DANCU_SECRET_KEY": secret,
        "DANCU_DATABASE_URL": url,
        "DANCU_DB_POOL_SIZE": str(CONCURRENCY),
        "DANCU_JOBS_IN_PROCESS": "false" if jobs_apart else "true",
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "dancu.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(cmd, env=env)
    worker = None
    if jobs_apart:
        run = "from dancu.cli import app; app()"
        worker = subprocess.Popen(
            [sys.executable, "-c", run, "worker", "--workers", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server)
        yield base
    finally:
        for process in (server, worker):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def wait_sealed(url: str, timeout: float = 60.0) -> int:
    """Wait until the workers sealed every audit entry; the entries still unsealed (0)."""
    deadline = time.monotonic() + timeout
    while True:
        with psycopg.connect(url) as conn:
            left = conn.execute("SELECT count(*) FROM audit_log WHERE seq IS NULL").fetchall()
        if not left[0][0] or time.monotonic() > deadline:
            return int(left[0][0])
        time.sleep(0.5)


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 240  # a loaded machine imports the app slowly
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not become ready in 240 s")


def register_partner(url: str) -> tuple[str, str]:
    """A client_credentials client acting as a registry clerk of the province; (id, secret)."""
    from sqlalchemy.orm import Session

    from dancu.db import make_engine
    from dancu.identity.oidc import clients as oidc_clients
    from dancu.identity.oidc import partners

    engine = make_engine(url)
    with Session(engine) as session:
        created = oidc_clients.add_client(
            session,
            client_id="bench-partner",
            name="Bench partner",
            auth_method="client_secret_basic",
            grant_types=["client_credentials"],
            scopes=["registry.read"],
        )
        partners.bind_partner(
            session,
            "bench-partner",
            roles=["registry_clerk"],
            units=[PROVINCE],
            organization="Bench",
            purposes=[PURPOSE],
        )
        session.commit()
    engine.dispose()
    assert created.secret is not None
    return "bench-partner", created.secret


def access_token(base: str, client_id: str, client_secret: str) -> str:
    """Client credentials at the server's token endpoint, as a partner's system does."""
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "registry.read"})
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    request = urllib.request.Request(
        f"{base}/oidc/token", data=form.encode(), headers={"Authorization": f"Basic {basic}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["access_token"]


def bearer(secret: str) -> str:
    """A province clerk's development token signed with the (development) server's secret."""
    from dancu.common.access import Actor, Role
    from dancu.settings import get_settings
    from dancu.web.auth import issue_token

    os.environ["DANCU_SECRET_KEY"] = secret
    get_settings.cache_clear()
    try:
        clerk = Actor(
            id="officer:bench-clerk",
            name="Bench clerk",
            roles=frozenset({Role.REGISTRY_CLERK}),
            units=(PROVINCE,),
        )
        return issue_token(clerk)
    finally:
        del os.environ["DANCU_SECRET_KEY"]
        get_settings.cache_clear()


def sample_pids(url: str, count: int = 20_000) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT pid FROM citizen WHERE province_code = %s ORDER BY md5(pid) LIMIT %s",
            (PROVINCE, count),
        ).fetchall()
    return [pid for (pid,) in rows]


def audit_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]


def main(url: str, citizens: int, workers: int | None = None, *, jobs_apart: bool = True) -> Table:
    """Measure against the registry already loaded at ``url``."""
    workers = workers or os.cpu_count() or 1
    where = "a worker beside it" if jobs_apart else "jobs in the server"
    table = Table(f"registry_lookup: {citizens:,} citizens, {workers} server workers, {where}")
    print(table.title, flush=True)
    secret = secrets.token_urlsafe(48)
    partner = register_partner(url)
    headers = {"X-Purpose": PURPOSE}
    lookups = [f"/api/registry/citizens/{pid}" for pid in sample_pids(url)]
    health = ["/healthz"]

    def closed(base: str, paths: list[str], seconds: float) -> loadgen.Result:
        load = loadgen.Load(base, paths, headers, seconds, concurrency=CONCURRENCY)
        return loadgen.run(load)

    headers["Authorization"] = f"Bearer {bearer(secret)}"
    with serve(url, secret, workers, dev=True, jobs_apart=jobs_apart) as base:  # for comparison
        closed(base, lookups, WARMUP_SECONDS)
        dev_runs = [closed(base, lookups, PEAK_SECONDS) for _ in range(2)]
    dev_rate = statistics.median(r.rate for r in dev_runs)
    with serve(url, secret, workers, jobs_apart=jobs_apart) as base:
        headers["Authorization"] = f"Bearer {access_token(base, *partner)}"
        closed(base, health, WARMUP_SECONDS)
        closed(base, lookups, WARMUP_SECONDS)
        before = audit_count(url)
        peaks: dict[str, list[loadgen.Result]] = {"healthz": [], "lookup": []}
        for _ in range(2):
            peaks["healthz"].append(closed(base, health, PEAK_SECONDS))
            peaks["lookup"].append(closed(base, lookups, PEAK_SECONDS))
        looked_up = sum(r.completed for r in peaks["lookup"])
        failed = sum(r.failed for rs in peaks.values() for r in rs)
        health_rate = statistics.median(r.rate for r in peaks["healthz"])
        lookup_rate = statistics.median(r.rate for r in peaks["lookup"])
        # What the server holds for as long as the open loop runs, its sealer and WAL
        # included: an 8 s burst leaves part of that work for afterwards.
        wait_sealed(url)
        sustained = closed(base, lookups, OPEN_SECONDS)
        looked_up += sustained.completed
        steady: dict[str, loadgen.Result] = {}
        for name, peak in (("burst", lookup_rate), ("sustained", sustained.rate)):
            wait_sealed(url)  # each open loop starts with no sealing left behind
            steady[name] = loadgen.run(
                loadgen.Load(base, lookups, headers, OPEN_SECONDS, CONCURRENCY, rate=0.7 * peak)
            )
            looked_up += steady[name].completed
        unsealed = wait_sealed(url)  # while the server (and its worker) still runs
        audited = audit_count(url) - before
    failed += sum(r.failed for r in dev_runs) + sustained.failed
    failed += sum(r.failed for r in steady.values())
    if failed:
        raise RuntimeError(f"{failed} requests did not answer 200")
    if audited != looked_up:
        raise RuntimeError(f"{looked_up} look-ups wrote {audited} audit entries")
    if unsealed:
        raise RuntimeError(f"{unsealed} audit entries were not sealed within 60 s")
    table.add("/healthz peak", f"{health_rate:,.0f} req/s", f"closed loop, {CONCURRENCY} conns")
    table.add("look-up peak", f"{lookup_rate:,.0f} req/s", f"each audited ({audited:,} entries)")
    ratio = lookup_rate / health_rate
    table.add("ratio look-up / healthz", f"{ratio:.2f}", goal(ratio, 0.5))
    table.add(
        "look-up peak, development token",
        f"{dev_rate:,.0f} req/s",
        "development server, no token look-up",
    )
    table.add("ratio access token / development token", f"{lookup_rate / dev_rate:.2f}")
    table.add(
        "look-up sustained peak",
        f"{sustained.rate:,.0f} req/s",
        f"closed loop as long as the open loop ({OPEN_SECONDS:g} s)",
    )
    for name, label in (("burst", f"{PEAK_SECONDS:g} s peak"), ("sustained", "sustained peak")):
        run = steady[name]
        p50, p99 = run.percentile(50), run.percentile(99)
        table.add(
            f"at 70% of the {label}", f"{run.rate:,.0f} req/s", f"{OPEN_SECONDS:g} s open loop"
        )
        table.add("  p50", f"{p50:.1f} ms")
        table.add("  p99", f"{p99:.1f} ms", goal(p99, 20, at_least=False))
    return table


def compare(
    url: str,
    citizens: int,
    before: str,
    rounds: int = 4,
    *,
    jobs_apart: bool = True,
    before_jobs_apart: bool | None = None,
) -> Table:
    """The look-up of the tree at ``before`` (its ``src``) against this tree's, both servers
    up at once on the same registry, phases alternated (order swapped each round) so both
    see the same neighbours; server CPU per request read from ``/proc``.
    ``before_jobs_apart`` (default: as ``jobs_apart``) gives the "before" server the other
    topology: with ``before`` this tree's own ``src``, it compares the two topologies."""
    old_apart = jobs_apart if before_jobs_apart is None else before_jobs_apart
    from bench.oidc_tokens import server_cpu_seconds

    table = Table(f"registry_lookup: before / after, {citizens:,} citizens, interleaved")
    print(table.title, flush=True)
    secret = secrets.token_urlsafe(48)
    partner = register_partner(url)
    lookups = [f"/api/registry/citizens/{pid}" for pid in sample_pids(url)]
    rates: dict[str, dict[str, list[float]]] = {}
    cpu: dict[str, dict[str, list[float]]] = {}
    heads: dict[str, dict[str, str]] = {}
    steady: dict[str, list[loadgen.Result]] = {"before": [], "after": []}
    audit_start = audit_count(url)
    looked_up = 0
    with (
        serve(url, secret, 1, source=before, jobs_apart=old_apart) as old,
        serve(url, secret, 1, jobs_apart=jobs_apart) as new,
    ):
        bases = {"before": old, "after": new}
        for side, base in bases.items():
            heads[side] = {
                "X-Purpose": PURPOSE,
                "Authorization": f"Bearer {access_token(base, *partner)}",
            }
            rates[side] = {"healthz": [], "lookup": []}
            cpu[side] = {"healthz": [], "lookup": []}
            for paths in (["/healthz"], lookups):
                warm = loadgen.run(loadgen.Load(base, paths, heads[side], WARMUP_SECONDS))
                looked_up += warm.completed if paths is lookups else 0
        for r in range(rounds):
            for side in ("before", "after") if r % 2 == 0 else ("after", "before"):
                base, port = bases[side], bases[side].rsplit(":", 1)[1]
                for kind, paths in (("healthz", ["/healthz"]), ("lookup", lookups)):
                    spent = server_cpu_seconds(port)
                    result = loadgen.run(loadgen.Load(base, paths, heads[side], PEAK_SECONDS / 2))
                    spent = server_cpu_seconds(port) - spent
                    if result.failed:
                        raise RuntimeError(f"{side} {kind}: {result.failed} requests failed")
                    looked_up += result.completed if kind == "lookup" else 0
                    rates[side][kind].append(result.rate)
                    cpu[side][kind].append(result.completed / spent)
                    print(
                        f"  round {r + 1} {side} {kind}: {result.rate:,.0f} req/s, "
                        f"{result.completed / spent:,.0f} per server CPU-s",
                        flush=True,
                    )
        for r in range(2):
            for side in ("before", "after") if r % 2 == 0 else ("after", "before"):
                target = 0.7 * statistics.median(rates[side]["lookup"])
                load = loadgen.Load(
                    bases[side], lookups, heads[side], OPEN_SECONDS, CONCURRENCY, target
                )
                result = loadgen.run(load)
                looked_up += result.completed
                steady[side].append(result)
                print(
                    f"  open loop {side} at {target:,.0f}/s: p50 {result.percentile(50):.1f} "
                    f"ms, p99 {result.percentile(99):.1f} ms",
                    flush=True,
                )
        unsealed = wait_sealed(url)  # while the servers (and their workers) still run
    audited = audit_count(url) - audit_start
    if audited != looked_up:
        raise RuntimeError(f"{looked_up} look-ups wrote {audited} audit entries")
    if unsealed:
        raise RuntimeError(f"{unsealed} audit entries were not sealed within 60 s")
    for side in ("before", "after"):
        health, lookup = (statistics.median(rates[side][k]) for k in ("healthz", "lookup"))
        per_cpu, health_cpu = (statistics.median(cpu[side][k]) for k in ("lookup", "healthz"))
        table.add(
            f"{side}: ratio look-up / healthz",
            f"{lookup / health:.2f}",
            f"{lookup:,.0f} / {health:,.0f} req/s; " + goal(lookup / health, 0.5),
        )
        table.add(
            f"{side}: per server CPU-second",
            f"{per_cpu / health_cpu:.2f}",
            f"look-up {per_cpu:,.0f} / healthz {health_cpu:,.0f}: the ratio the neighbours "
            "move least; " + goal(per_cpu / health_cpu, 0.5),
        )
        p99s = [s.percentile(99) for s in steady[side]]
        table.add(
            f"{side}: p50 / p99 at 70% of peak",
            f"{statistics.median(s.percentile(50) for s in steady[side]):.1f} / {max(p99s):.1f} ms",
            f"p99 of the two runs {' and '.join(f'{p:.1f}' for p in p99s)}; "
            + goal(max(p99s), 20, at_least=False),
        )
    gain = statistics.median(rates["after"]["lookup"]) / statistics.median(
        rates["before"]["lookup"]
    )
    table.add("look-up peak after / before", f"{gain:.2f}", f"each audited ({audited:,} entries)")
    return table
