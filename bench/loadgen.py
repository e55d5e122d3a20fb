"""An HTTP load generator for the benchmarks, run in its own process.

Two modes, both over keep-alive connections (aiohttp):

- ``closed``: ``concurrency`` workers each send the next request as soon as the previous
  one answers; the completed count over the wall time is the peak throughput.
- ``open``: requests are *scheduled* at a fixed rate whatever the server does, and each
  latency is measured from its scheduled time, so a stalled server shows up in the tail
  (no coordinated omission).

The load generator shares the machine with the server; both endpoints compared in one run
pay the same cost, which is why the benchmarks report ratios.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True, slots=True)
class Result:
    completed: int
    failed: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """The q-th percentile (0-100) of the latencies, nearest-rank."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank]


@dataclass(frozen=True, slots=True)
class Load:
    base_url: str
    paths: Sequence[str]
    headers: dict[str, str]
    seconds: float
    concurrency: int = 16
    rate: float | None = None  # requests/s for the open mode; None for closed


async def _fetch(
    http: aiohttp.ClientSession,
    path: str,
    headers: dict[str, str],
    since: float,
    latencies: list[float],
) -> bool:
    """GET ``path``; on 200 record the milliseconds since ``since`` and return True."""
    async with http.get(path, headers=headers) as response:
        await response.read()
        if response.status != 200:
            return False
    latencies.append((time.perf_counter() - since) * 1000)
    return True


async def _closed(load: Load) -> Result:
    latencies: list[float] = []
    failed = 0
    deadline = time.perf_counter() + load.seconds
    connector = aiohttp.TCPConnector(limit=load.concurrency)
    async with aiohttp.ClientSession(load.base_url, connector=connector) as http:

        async def worker(offset: int) -> None:
            nonlocal failed
            i = offset
            while time.perf_counter() < deadline:
                path = load.paths[i % len(load.paths)]
                i += load.concurrency
                if not await _fetch(http, path, load.headers, time.perf_counter(), latencies):
                    failed += 1

        begin = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(load.concurrency)))
        seconds = time.perf_counter() - begin
    return Result(len(latencies), failed, seconds, tuple(latencies))


async def _open(load: Load) -> Result:
    assert load.rate is not None
    latencies: list[float] = []
    failed = 0
    connector = aiohttp.TCPConnector(limit=max(load.concurrency, 64))
    async with aiohttp.ClientSession(load.base_url, connector=connector) as http:

        async def one(path: str, scheduled: float) -> None:
            nonlocal failed
            if not await _fetch(http, path, load.headers, scheduled, latencies):
                failed += 1

        total = int(load.rate * load.seconds)
        interval = 1 / load.rate
        begin = time.perf_counter()
        tasks = []
        for i in range(total):
            scheduled = begin + i * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(one(load.paths[i % len(load.paths)], scheduled)))
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - begin
    return Result(len(latencies), failed, seconds, tuple(latencies))


def _run(load: Load) -> Result:
    if load.rate:
        # The open loop measures from each request's scheduled time, so a pause of this
        # process counts as the server's latency. Its cyclic garbage collector paused it by
        # up to 50-90 ms once a run's tasks and responses had piled up (bursts of 50-75
        # "slow" requests sent late together); the server was not involved. A real client
        # is many machines; this one keeps its few thousand objects until the run ends.
        gc.collect()
        gc.disable()
        try:
            return asyncio.run(_open(load))
        finally:
            gc.enable()
    return asyncio.run(_closed(load))


def run(load: Load) -> Result:
    """Drive ``load`` from a separate process (its own interpreter and GIL)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_run, (load,))
