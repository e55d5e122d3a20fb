"""Hospital check-ins over HTTP with a partner token, against the same server's ``/healthz``.

A hospital partner (kind ``hospital``, its facility, rate limits far above the load) gets a
credential; the load generator's access token comes from the server's token endpoint
(client credentials), as the hospital's system would get it. Half of the sampled citizens
hold an insurance card of the facility. A check-in is the whole door: token, credential
and purpose check, rate-limit count, the registry read (audited), the insurance card, the
per-day counter upsert, the exchange's audit entry, minimisation, the message-log entry,
one commit. Peaks in a closed loop (``/healthz`` and the check-in alternate, twice each),
then p50/p99 open-loop at 70% of the check-in's peak. The run fails unless every check-in
answered 200 and each left exactly one message-log entry.

``python -m bench.checkin --citizens 100000`` (default 20,000: a small version).
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing
import secrets
import statistics
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta

import aiohttp
import psycopg
import typer

from bench import loadgen
from bench.common import PROVINCE, Table, goal, machine, temp_database
from bench.registry_load import load_demo_into
from bench.registry_lookup import serve

FACILITY = "66001"
CONCURRENCY = 16
WARMUP_SECONDS, PEAK_SECONDS, OPEN_SECONDS = 3.0, 8.0, 15.0


@dataclass(frozen=True)
class Post:
    base_url: str
    path: str
    bodies: tuple[bytes, ...]
    headers: dict[str, str]
    seconds: float
    rate: float | None = None


async def _send(
    http: aiohttp.ClientSession, load: Post, i: int, since: float, out: list[float]
) -> bool:
    body = load.bodies[i % len(load.bodies)]
    async with http.post(load.path, data=body, headers=load.headers) as response:
        await response.read()
        if response.status != 200:
            return False
    out.append((time.perf_counter() - since) * 1000)
    return True


async def _closed(load: Post) -> loadgen.Result:
    latencies: list[float] = []
    failed = 0
    deadline = time.perf_counter() + load.seconds
    async with aiohttp.ClientSession(
        load.base_url, connector=aiohttp.TCPConnector(limit=CONCURRENCY)
    ) as http:

        async def worker(n: int) -> None:
            nonlocal failed
            i = n
            while time.perf_counter() < deadline:
                if not await _send(http, load, i, time.perf_counter(), latencies):
                    failed += 1
                i += CONCURRENCY

        begin = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(CONCURRENCY)))
        seconds = time.perf_counter() - begin
    return loadgen.Result(len(latencies), failed, seconds, tuple(latencies))


async def _open(load: Post) -> loadgen.Result:
    assert load.rate
    latencies: list[float] = []
    failed = 0
    async with aiohttp.ClientSession(
        load.base_url, connector=aiohttp.TCPConnector(limit=64)
    ) as http:

        async def one(i: int, scheduled: float) -> None:
            nonlocal failed
            if not await _send(http, load, i, scheduled, latencies):
                failed += 1

        begin, tasks = time.perf_counter(), []
        for i in range(int(load.rate * load.seconds)):
            scheduled = begin + i / load.rate
            if (delay := scheduled - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(one(i, scheduled)))
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - begin
    return loadgen.Result(len(latencies), failed, seconds, tuple(latencies))


def _run(load: Post) -> loadgen.Result:
    return asyncio.run(_open(load) if load.rate else _closed(load))


def run_posts(load: Post) -> loadgen.Result:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_run, (load,))


def prepare(url: str) -> tuple[tuple[str, str], list[str]]:
    """The hospital partner and its credential; insurance cards for half the sample."""
    from sqlalchemy.orm import Session

    from dancu.common.access import SYSTEM_ACTOR
    from dancu.db import make_engine
    from dancu.exchange.insurance import service as insurance
    from dancu.exchange.insurance.schemas import CardIn
    from dancu.exchange.partners import service as partners
    from dancu.exchange.partners.schemas import PartnerIn, PurposeIn

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT pid, full_name FROM citizen WHERE status = 'alive'"
            " ORDER BY md5(pid) LIMIT 20000"
        ).fetchall()
    engine = make_engine(url)
    with Session(engine) as session:
        purpose = PurposeIn(purpose="health_checkin", rate_per_minute=10**6)
        data = PartnerIn(
            code="bench-bv",
            name="Bench hospital",
            kind="hospital",
            facility_code=FACILITY,
            rate_per_minute=10**6,
            purposes=[purpose],
        )
        partners.register_partner(session, data, actor=SYSTEM_ACTOR)
        new = partners.issue_credential(session, "bench-bv", actor=SYSTEM_ACTOR)
        today = date.today()
        cards = [
            CardIn(
                card_number=f"GD4{PROVINCE}{pid[-10:]}",
                pid=pid,
                full_name=name,
                valid_from=today - timedelta(days=10),
                valid_to=today + timedelta(days=300),
                facility_code=FACILITY,
                facility_name="Bench",
                benefit_level=4,
            )
            for pid, name in rows[::2]
        ]
        for start in range(0, len(cards), 1000):
            insurance.import_cards(
                session, cards[start : start + 1000], source="file", actor=SYSTEM_ACTOR
            )
            for c in cards[start : start + 1000]:
                card = insurance.repo.by_number(session, c.card_number)
                if card is not None:
                    card.pid, card.link_method = c.pid, "id"
        session.commit()
    engine.dispose()
    assert new.secret is not None
    return (new.client_id, new.secret), [pid for pid, _ in rows]


def log_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM exchange_message").fetchall()[0][0]


def main(url: str, citizens: int, workers: int = 1) -> Table:
    table = Table(f"checkin: {citizens:,} citizens, {workers} server workers")
    print(table.title, flush=True)
    credential, pids = prepare(url)
    bodies = tuple(json.dumps({"pid": p}).encode() for p in pids)
    with serve(url, secrets.token_urlsafe(48), workers) as base:
        token = _exchange_token(base, *credential)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        health = loadgen.Load(base, ["/healthz"], {}, PEAK_SECONDS, CONCURRENCY)
        posts = Post(base, "/api/exchange/checkin", bodies, headers, PEAK_SECONDS)
        run_posts(Post(base, posts.path, bodies, headers, WARMUP_SECONDS))
        before = log_count(url)
        healthz, checkins = [], []
        for _ in range(2):
            healthz.append(loadgen.run(health))
            checkins.append(run_posts(posts))
        logged = log_count(url) - before
        done = sum(r.completed for r in checkins)
        health_rate = statistics.median(r.rate for r in healthz)
        rate = statistics.median(r.rate for r in checkins)
        steady = run_posts(Post(base, posts.path, bodies, headers, OPEN_SECONDS, rate=0.7 * rate))
    failed = sum(r.failed for r in checkins) + steady.failed
    if failed:
        raise RuntimeError(f"{failed} check-ins did not answer 200")
    if logged != done:
        raise RuntimeError(f"{done} check-ins left {logged} message-log entries")
    table.add("/healthz peak", f"{health_rate:,.0f} req/s", f"closed loop, {CONCURRENCY} conns")
    table.add("check-in peak", f"{rate:,.0f} req/s", f"each logged and audited ({logged:,})")
    ratio = rate / health_rate
    table.add("ratio check-in / healthz", f"{ratio:.2f}", goal(ratio, 0.3))
    table.add("at 70% of peak", f"{steady.rate:,.0f} req/s", f"{OPEN_SECONDS:g} s open loop")
    table.add("  p50", f"{steady.percentile(50):.1f} ms")
    table.add("  p99", f"{steady.percentile(99):.1f} ms")
    return table


def _exchange_token(base: str, client_id: str, secret: str) -> str:
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "exchange.use"})
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        f"{base}/oidc/token", data=form.encode(), headers={"Authorization": f"Basic {basic}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["access_token"])


def cli(citizens: int = 20_000, workers: int = 1) -> None:
    print(f"machine: {machine()}", flush=True)
    with temp_database("checkin") as url:
        print(f"loading {citizens:,} demo citizens ...", flush=True)
        load_demo_into(url, citizens)
        print(main(url, citizens, workers).render())


if __name__ == "__main__":
    typer.run(cli)
