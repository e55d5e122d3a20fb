"""Token grants of the OpenID Connect provider over HTTP, against the same server's /healthz.

One production-configured uvicorn (see ``registry_lookup.serve``) on PostgreSQL. The load
generator, in its own process, drives each endpoint in a closed loop (``CONCURRENCY``
keep-alive connections) and records every latency:

- ``authorization_code``: codes are minted beforehand straight into ``oidc_code`` (the
  browser part of the flow, login and consent, is not what a grant rate measures); each
  exchange is the full path: client_secret_basic, the code claimed once, PKCE S256 checked,
  access + refresh token stored, an ES256 ID token signed, the transaction committed;
- ``refresh_token``: each connection walks its own rotation chain (every grant claims the
  old refresh token and stores the new pair);
- ``client_credentials``: a partner system's grant.

Then, in this process: ID-token signing (joserfc, as the provider does it) against raw
``cryptography`` ECDSA signing of the same bytes, and password checks per second with the
argon2 settings of ``dancu.settings`` (one core; a login is one verification).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import multiprocessing
import os
import secrets
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp

from bench.common import Table, goal
from bench.registry_lookup import serve

CONCURRENCY = 16
ACCOUNTS = 200  # end users behind the minted codes (rows straight into ``account``)
WARMUP_SECONDS = 2.0
SECONDS = 8.0
REDIRECT = "https://rp.bench.example/cb"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")


@dataclass(frozen=True)
class Outcome:
    completed: int
    failed: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def rate(self) -> float:
        return self.completed / self.seconds

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))]


@dataclass(frozen=True)
class Job:
    base: str
    kind: str  # healthz | code | refresh | client_credentials
    seconds: float
    auth: tuple[str, str]
    codes: tuple[str, ...] = ()


async def _drive(job: Job) -> Outcome:
    latencies: list[float] = []
    failed = 0
    codes = list(job.codes)
    deadline = time.perf_counter() + job.seconds
    auth = aiohttp.BasicAuth(*job.auth)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(job.base, connector=connector) as http:

        async def call(form: dict[str, str] | None) -> dict | None:
            nonlocal failed
            since = time.perf_counter()
            if form is None:
                response = await http.get("/healthz")
            else:
                response = await http.post("/oidc/token", data=form, auth=auth)
            async with response:
                body = await response.read()
                if response.status != 200:
                    failed += 1
                    if failed <= 3:
                        print(f"  {job.kind}: HTTP {response.status} {body[:200]!r}", flush=True)
                    return None
            latencies.append((time.perf_counter() - since) * 1000)
            return json.loads(body)

        async def worker() -> None:
            refresh: str | None = None
            while time.perf_counter() < deadline:
                if job.kind == "healthz":
                    await call(None)
                elif job.kind == "client_credentials":
                    await call({"grant_type": "client_credentials", "scope": "registry.read"})
                elif job.kind == "code" or refresh is None:
                    if not codes:
                        return
                    body = await call(
                        {
                            "grant_type": "authorization_code",
                            "code": codes.pop(),
                            "redirect_uri": REDIRECT,
                            "code_verifier": VERIFIER,
                        }
                    )
                    refresh = body["refresh_token"] if body else None
                    if job.kind == "refresh" and body:
                        latencies.pop()  # the chain's first link is not a refresh grant
                else:
                    body = await call({"grant_type": "refresh_token", "refresh_token": refresh})
                    refresh = body["refresh_token"] if body else None

        begin = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        seconds = time.perf_counter() - begin
    return Outcome(len(latencies), failed, seconds, tuple(latencies))


def _run(job: Job) -> Outcome:
    return asyncio.run(_drive(job))


def drive(job: Job) -> Outcome:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_run, (job,))


def server_cpu_seconds(port: str) -> float:
    """CPU seconds (user + system) used so far by the uvicorn process(es) on ``port``.

    Dividing a count by the CPU time the server spent on it gives a rate per core that does
    not depend on what else the machine is running (Linux ``/proc``).
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            if b"uvicorn" not in b" ".join(cmdline) or port.encode() not in cmdline:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _setup(url: str, codes: int) -> tuple[tuple[str, str], tuple[str, str], list[str]]:
    """Register the relying party and the partner; mint ``codes`` authorization codes."""
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from dancu.db import make_engine, utcnow
    from dancu.identity.accounts.models import Account
    from dancu.identity.auth.models import LoginSession
    from dancu.identity.oidc import clients as oidc_clients
    from dancu.identity.oidc.models import AuthorizationCode
    from dancu.identity.oidc.tokens import digest

    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    plain = [secrets.token_urlsafe(32) for _ in range(codes)]
    until = utcnow() + timedelta(hours=1)
    with Session(engine) as session:
        rp = oidc_clients.add_client(
            session,
            client_id="bench-rp",
            name="Bench RP",
            auth_method="client_secret_basic",
            redirect_uris=[REDIRECT],
            scopes=["openid", "profile"],
        )
        partner = oidc_clients.add_client(
            session,
            client_id="bench-partner",
            name="Bench partner",
            auth_method="client_secret_basic",
            grant_types=["client_credentials"],
            scopes=["registry.read"],
        )
        accounts = [
            Account(
                citizen_pid=f"0661{n:08d}",
                display_name=f"Bench {n}",
                level=1,
                status="active",
                province_code="66",
                commune_code="24121",
            )
            for n in range(ACCOUNTS)
        ]
        session.add_all(accounts)
        session.flush()
        ids = [a.id for a in accounts]
        # each account's live login session: a refresh is refused once its login has ended
        signed_in = utcnow()
        session.add_all(
            LoginSession(
                id=secrets.token_hex(16),
                public_sid=f"bench-{n}",
                account_id=account_id,
                created_at=signed_in,
                auth_time=signed_in,
                last_seen_at=signed_in,
                amr=["pwd", "otp"],
            )
            for n, account_id in enumerate(ids)
        )
        session.flush()
        now = int(time.time())
        rows = [
            {
                "code_hash": digest(c),
                "client_id": "bench-rp",
                "account_id": ids[i % ACCOUNTS],
                "sid": f"bench-{i % ACCOUNTS}",
                "redirect_uri": REDIRECT,
                "scope": "openid profile",
                "nonce": "n",
                "code_challenge": CHALLENGE.decode(),
                "code_challenge_method": "S256",
                "auth_time": now,
                "acr": "urn:dancu:acr:level1",
                "amr": ["pwd", "otp"],
                "expires_at": until,
            }
            for i, c in enumerate(plain)
        ]
        session.execute(insert(AuthorizationCode), rows)
        session.commit()
        credentials = (("bench-rp", rp.secret or ""), ("bench-partner", partner.secret or ""))
    engine.dispose()
    return credentials[0], credentials[1], plain


def signing_rates(rounds: int = 3000) -> tuple[float, float]:
    """ID tokens signed per second: joserfc (the provider's path) vs raw cryptography."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from joserfc import jwt
    from joserfc.jwk import ECKey

    key = ECKey.generate_key("P-256", private=True, auto_kid=True)
    now = int(time.time())
    claims = {
        "iss": "https://id.dancu.example",
        "sub": "x" * 27,
        "aud": "bench-rp",
        "iat": now,
        "exp": now + 600,
        "auth_time": now,
        "acr": "urn:dancu:acr:level1",
        "amr": ["pwd", "otp"],
        "sid": "s" * 43,
        "nonce": "n",
        "at_hash": "h" * 22,
    }
    header = {"alg": "ES256", "kid": key.kid, "typ": "JWT"}
    begin = time.perf_counter()
    for _ in range(rounds):
        jwt.encode(header, claims, key)
    joserfc_rate = rounds / (time.perf_counter() - begin)
    raw = key.private_key
    assert raw is not None

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    begin = time.perf_counter()
    for _ in range(rounds):
        signing_input = b64(json.dumps(header).encode()) + b"." + b64(json.dumps(claims).encode())
        raw.sign(signing_input, ec.ECDSA(hashes.SHA256()))  # type: ignore[union-attr]
    raw_rate = rounds / (time.perf_counter() - begin)
    return joserfc_rate, raw_rate


def password_rate(seconds: float = 5.0) -> tuple[float, str]:
    """Password verifications per second on one core, with the configured argon2 cost."""
    from dancu.identity.auth import passwords
    from dancu.settings import get_settings

    s = get_settings()
    stored = passwords.hash_password("correct horse battery staple")
    done = 0
    begin, cpu_begin = time.perf_counter(), time.process_time()
    while time.perf_counter() - begin < seconds:
        assert passwords.verify(stored, "correct horse battery staple")
        done += 1
    per_cpu = done / (time.process_time() - cpu_begin)
    label = f"argon2id t={s.argon2_time_cost} m={s.argon2_memory_kib} KiB p={s.argon2_parallelism}"
    return per_cpu, label


def main(url: str, workers: int | None = None, seconds: float = SECONDS) -> Table:
    workers = workers or 1
    cores = os.cpu_count() or 1
    table = Table(f"oidc_tokens: {workers} server worker(s), {cores} cores, {CONCURRENCY} conns")
    print(table.title, flush=True)
    codes_needed = int(2500 * (seconds + WARMUP_SECONDS) * 2)
    rp, partner, codes = _setup(url, codes_needed)
    secret = secrets.token_urlsafe(48)
    half = len(codes) // 2
    results: dict[str, list[Outcome]] = {}
    cpu: dict[str, float] = {}
    with serve(url, secret, workers) as base:
        drive(Job(base, "healthz", WARMUP_SECONDS, rp))
        drive(Job(base, "client_credentials", WARMUP_SECONDS, partner))
        plan = [
            ("healthz", rp, ()),
            ("code", rp, tuple(codes[:half])),
            ("refresh", rp, tuple(codes[half:])),
            ("client_credentials", partner, ()),
        ]
        port = base.rsplit(":", 1)[1]
        for kind, auth, pool in plan:
            before = server_cpu_seconds(port)
            results[kind] = [drive(Job(base, kind, seconds, auth, pool))]
            cpu[kind] = server_cpu_seconds(port) - before
    failed = sum(o.failed for rs in results.values() for o in rs)
    if failed:
        raise RuntimeError(f"{failed} requests did not answer 200")
    health = statistics.median(o.rate for o in results["healthz"])
    health_cpu = results["healthz"][0].completed / cpu["healthz"]
    table.add(
        "/healthz peak",
        f"{health:,.0f} req/s",
        f"p99 {results['healthz'][0].p(99):.1f} ms; {health_cpu:,.0f} per server CPU-s",
    )
    names = {
        "code": "authorization_code",
        "refresh": "refresh_token",
        "client_credentials": "client_credentials",
    }
    for kind, name in names.items():
        outcome = results[kind][0]
        per_core = outcome.completed / cpu[kind]  # grants per CPU-second of the server
        table.add(
            f"{name} grants",
            f"{outcome.rate:,.0f} /s",
            f"p99 {outcome.p(99):.1f} ms; ratio to healthz {outcome.rate / health:.2f}; "
            f"{per_core:,.0f} per server CPU-s {goal(per_core, 240)}",
        )
    joserfc_rate, raw_rate = signing_rates()
    table.add(
        "ID-token signing (joserfc ES256)",
        f"{joserfc_rate:,.0f} /s",
        f"raw cryptography: {raw_rate:,.0f} /s; ratio {joserfc_rate / raw_rate:.2f}",
    )
    logins, label = password_rate()
    table.add("password checks per CPU-s", f"{logins:,.1f} /s", f"{label} {goal(logins, 15)}")
    return table


if __name__ == "__main__":
    from bench.common import temp_database

    with temp_database("oidc") as database:
        print(main(database, seconds=float(os.environ.get("BENCH_SECONDS", SECONDS))).render())


def compare(url: str, before: str, rounds: int = 4, seconds: float = 4.0) -> Table:
    """The grants of the tree at ``before`` (its ``src``) against this tree's: both servers
    up at once on one database, each grant's phases alternated between them (order swapped
    each round), grants per server CPU-second from ``/proc``."""
    from bench.registry_lookup import serve as serve_tree

    table = Table(f"oidc_tokens: before / after, interleaved, {rounds} rounds of {seconds:g} s")
    print(table.title, flush=True)
    kinds = ("healthz", "code", "refresh", "client_credentials")
    per_phase = int(1000 * seconds)  # above any rate this machine reaches
    codes_needed = per_phase * rounds * 2 * 2
    rp, partner, codes = _setup(url, codes_needed)
    pools = {"before": codes[: len(codes) // 2], "after": codes[len(codes) // 2 :]}
    secret = secrets.token_urlsafe(48)
    done = {s: {k: 0 for k in kinds} for s in pools}
    cpu = {s: {k: 0.0 for k in kinds} for s in pools}
    with serve_tree(url, secret, 1, source=before) as old, serve_tree(url, secret, 1) as new:
        bases = {"before": old, "after": new}
        for base in bases.values():
            drive(Job(base, "client_credentials", WARMUP_SECONDS, partner))
        for r in range(rounds):
            for kind in kinds:
                for side in ("before", "after") if r % 2 == 0 else ("after", "before"):
                    base = bases[side]
                    port = base.rsplit(":", 1)[1]
                    auth = partner if kind == "client_credentials" else rp
                    take = pools[side][:per_phase] if kind in ("code", "refresh") else []
                    pools[side] = pools[side][len(take) :]
                    spent = server_cpu_seconds(port)
                    outcome = drive(Job(base, kind, seconds, auth, tuple(take)))
                    spent = server_cpu_seconds(port) - spent
                    if outcome.failed:
                        raise RuntimeError(f"{side} {kind}: {outcome.failed} requests failed")
                    done[side][kind] += outcome.completed
                    cpu[side][kind] += spent
                    print(
                        f"  round {r + 1} {side} {kind}: {outcome.rate:,.0f}/s, "
                        f"{outcome.completed / spent:,.0f} per server CPU-s",
                        flush=True,
                    )
    for kind in kinds:
        old_rate, new_rate = (done[s][kind] / cpu[s][kind] for s in ("before", "after"))
        note = f"after / before {new_rate / old_rate:.2f}"
        if kind != "healthz":
            note += f"; {goal(new_rate, 240)}"
        table.add(
            f"{kind} per server CPU-s, before / after", f"{old_rate:,.0f} / {new_rate:,.0f}", note
        )
    return table
