"""Dossiers submitted with a 200 kB scan, through both doors, against the same server's
``/healthz``; then every acknowledged dossier is checked in the database and the file store.

One uvicorn server with production settings (``bench.registry_lookup.serve``) on a
throw-away PostgreSQL database, its file store in a temporary directory. Two doors, each
the whole path a real submitter takes:

- **portal**: a citizen signed in with password and SMS code posts the apply form
  (multipart: CSRF token, idempotency key, the form, the scan): session and login checks,
  the registry prefill (audited), the upload's type read from its bytes, the fee, the scan
  hashed, written and fsynced under its SHA-256, the dossier, its steps, history, audit and
  outbox rows, one commit, the 303 to the receipt.
- **npsp**: the National Public Service Portal posts the same dossier as JSON (the scan in
  base64) with a client-credentials token: the same submit behind an idempotent claim.

Every upload is a real PDF of 200 kB (a page with a photographed document), made unique per
submission, so the content-addressed store writes each one. Peaks in a closed loop
(``/healthz`` and the submit alternate, twice each), then p50/p99 open-loop at 70% of the
peak. The run fails unless every submission was acknowledged and every acknowledged dossier
is in the database, complete (receipt code, dates, steps, history) with its file whose
stored bytes match the checksum sent.

``python -m bench --only dossiers`` or ``python -m bench.dossiers [--seconds 8]``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import multiprocessing
import os
import secrets
import shutil
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import httpx
import typer

from bench import loadgen
from bench.common import Table, machine, temp_database
from bench.registry_lookup import serve
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

CONCURRENCY = 16
NPSP_PATH = "/api/procedures/npsp/dossiers"
DOORS = ("portal", "npsp")


@dataclass(frozen=True)
class Plan:
    """One load phase: which door, who submits, the scan, for how long, at what rate."""

    base_url: str
    door: str
    browsers: tuple[Browser, ...]
    submitters: tuple[Submitter, ...]
    token: str
    scan: bytes
    tag: str
    seconds: float
    rate: float | None = None  # None: closed loop


@dataclass
class Outcome:
    result: loadgen.Result
    acked: list[Acked] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def key_of(tag: str) -> str:
    """An idempotency key (8 to 64 of [A-Za-z0-9_-]) for a submission's tag."""
    return "bench-" + hashlib.sha256(tag.encode()).hexdigest()[:32]


async def _submit(
    http: aiohttp.ClientSession, plan: Plan, i: int, scan: bytes
) -> tuple[int, str | None]:
    """Post submission ``i`` through the plan's door: (status, the dossier code if acknowledged)."""
    tag = f"{plan.tag}-{i}"
    if plan.door == "portal":
        browser = plan.browsers[i % len(plan.browsers)]
        form = aiohttp.FormData()
        for name, value in portal_fields(browser, key_of(tag)).items():
            form.add_field(name, value)
        form.add_field(
            f"file_{COMPONENT}", scan, filename="giay-to-cho-o.pdf", content_type="application/pdf"
        )
        headers = {"Cookie": browser.cookie}
        async with http.post(apply_path(), data=form, headers=headers, allow_redirects=False) as r:
            await r.read()
            return r.status, receipt_code(r.status, r.headers.get("location"))
    who = plan.submitters[i % len(plan.submitters)]
    body = npsp_body(who, tag, scan)
    headers = {"Authorization": f"Bearer {plan.token}"}
    async with http.post(NPSP_PATH, json=body, headers=headers) as r:
        answer = await r.read()
        return r.status, json.loads(answer)["dossier_code"] if r.status == 200 else None


def _recorder(plan: Plan, latencies: list[float], out: Outcome) -> Callable[..., Awaitable[None]]:
    async def one(http: aiohttp.ClientSession, i: int, since: float) -> None:
        scan = unique_scan(plan.scan, f"{plan.tag}-{i}")
        try:
            status, code = await _submit(http, plan, i, scan)
        except (aiohttp.ClientError, TimeoutError) as exc:
            out.refused.append(repr(exc))
            return
        if code is None:
            out.refused.append(f"HTTP {status}")
            return
        latencies.append((time.perf_counter() - since) * 1000)
        out.acked.append(Acked(code, hashlib.sha256(scan).hexdigest(), len(scan)))

    return one


async def _drive(plan: Plan) -> Outcome:
    latencies: list[float] = []
    out = Outcome(loadgen.Result(0, 0, 0.0, ()))
    one = _recorder(plan, latencies, out)
    limit = CONCURRENCY if plan.rate is None else 64
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(
        plan.base_url, connector=aiohttp.TCPConnector(limit=limit), timeout=timeout
    ) as http:
        begin = time.perf_counter()
        if plan.rate is None:
            deadline = begin + plan.seconds

            async def worker(n: int) -> None:
                i = n
                while time.perf_counter() < deadline:
                    await one(http, i, time.perf_counter())
                    i += CONCURRENCY

            await asyncio.gather(*(worker(n) for n in range(CONCURRENCY)))
        else:
            tasks = []
            for i in range(int(plan.rate * plan.seconds)):
                scheduled = begin + i / plan.rate
                if (delay := scheduled - time.perf_counter()) > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.ensure_future(one(http, i, scheduled)))
            await asyncio.gather(*tasks)
        seconds = time.perf_counter() - begin
    out.result = loadgen.Result(len(latencies), len(out.refused), seconds, tuple(latencies))
    return out


def _run(plan: Plan) -> Outcome:
    return asyncio.run(_drive(plan))


def run(plan: Plan) -> Outcome:
    """Drive ``plan`` from a separate process (its own interpreter and GIL)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_run, (plan,))


def prepare(url: str, count: int) -> tuple[list[Submitter], tuple[str, str]]:
    """``count`` citizens with accounts, and the national portal's client."""
    from sqlalchemy.orm import Session

    from dancu.db import make_engine

    engine = make_engine(url)
    with Session(engine) as session:
        submitters = make_submitters(session, count)
        portal = register_portal(session)
        session.commit()
    engine.dispose()
    return submitters, portal


def portal_token(base: str, client_id: str, secret: str) -> str:
    """The national portal's access token (client credentials, scope ``procedures.npsp``)."""
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "procedures.npsp"})
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        f"{base}/oidc/token", data=form.encode(), headers={"Authorization": f"Basic {basic}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["access_token"])


def main(url: str, workers: int = 1, seconds: float = 8.0) -> Table:
    table = Table(f"dossiers: a {len(scan_pdf()) / 1000:.0f} kB PDF each, {workers} server workers")
    print(table.title, flush=True)
    submitters, (client_id, client_secret) = prepare(url, CONCURRENCY)
    scan = scan_pdf()
    store = Path(tempfile.mkdtemp(prefix="dancu-bench-dossiers-"))
    previous = os.environ.get("DANCU_PROCEDURES_UPLOAD_DIR")
    os.environ["DANCU_PROCEDURES_UPLOAD_DIR"] = str(store)  # serve() passes its environment on
    acked: list[Acked] = []
    try:
        with serve(url, secrets.token_urlsafe(48), workers) as base:
            with httpx.Client(base_url=base, timeout=60) as http:
                browsers = tuple(sign_in(http, url, who) for who in submitters)
            token = portal_token(base, client_id, client_secret)
            plan = Plan(base, "portal", browsers, tuple(submitters), token, scan, "", seconds)
            for door in DOORS:
                acked += _door(table, replace(plan, door=door, tag=door), seconds)
        print(f"checking {len(acked):,} acknowledged dossiers ...", flush=True)
        wrong = problems(url, store, acked)
        if (count := dossier_count(url)) != len({a.code for a in acked}):
            wrong.append(f"{count} dossiers in the database for {len(acked)} acknowledged")
        if wrong:
            raise RuntimeError(f"{len(wrong)} problems, first: {wrong[:5]}")
        table.add("acknowledged and checked", f"{len(acked):,}", "record, receipt, steps, file")
    finally:
        if previous is None:
            os.environ.pop("DANCU_PROCEDURES_UPLOAD_DIR", None)
        else:
            os.environ["DANCU_PROCEDURES_UPLOAD_DIR"] = previous
        shutil.rmtree(store, ignore_errors=True)
    table.add("load average after", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return table


def _door(table: Table, plan: Plan, seconds: float) -> list[Acked]:
    """Peak against ``/healthz`` (closed loops, alternating), then the open-loop latency."""
    health = loadgen.Load(plan.base_url, ["/healthz"], {}, seconds, CONCURRENCY)
    outcomes = [run(replace(plan, tag=f"{plan.tag}-warm", seconds=3.0))]
    healthz, peaks = [], []
    for n in range(2):
        healthz.append(loadgen.run(health))
        peaks.append(run(replace(plan, tag=f"{plan.tag}-peak{n}")))
    outcomes += peaks
    health_rate = statistics.median(r.rate for r in healthz)
    rate = statistics.median(o.result.rate for o in peaks)
    steady = run(replace(plan, tag=f"{plan.tag}-open", seconds=2 * seconds, rate=0.7 * rate))
    outcomes.append(steady)
    refused = [r for o in outcomes for r in o.refused]
    if refused:
        raise RuntimeError(f"{len(refused)} {plan.door} submissions refused: {refused[:5]}")
    name = {"portal": "citizen portal (multipart)", "npsp": "national portal API (JSON)"}
    table.add(f"{plan.door}: /healthz peak", f"{health_rate:,.0f} req/s", f"{CONCURRENCY} conns")
    table.add(f"{plan.door}: submit peak", f"{rate:,.1f} dossiers/s", name[plan.door])
    table.add(f"{plan.door}: ratio submit / healthz", f"{rate / health_rate:.3f}")
    table.add(f"{plan.door}: at 70% of peak", f"{steady.result.rate:,.1f} dossiers/s", "open loop")
    table.add(f"{plan.door}:   p50", f"{steady.result.percentile(50):.0f} ms")
    table.add(f"{plan.door}:   p99", f"{steady.result.percentile(99):.0f} ms")
    return [a for o in outcomes for a in o.acked]


def cli(workers: int = 1, seconds: float = 8.0) -> None:
    print(f"machine: {machine()}", flush=True)
    with temp_database("dossiers") as url:
        print(main(url, workers, seconds).render())


if __name__ == "__main__":
    typer.run(cli)
