"""Per-partner and per-purpose rate limits with the ``limits`` library.

The counters live in the store ``DANCU_EXCHANGE_RATE_LIMIT_URL`` names: ``memory://`` (each
process counts alone: the embedded default) or ``redis://...`` (every server process shares
the counts, so a partner cannot multiply its limit by the number of processes). Fixed
one-minute windows: one atomic increment per limit per request.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

from limits import RateLimitItemPerMinute
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from dancu.exchange.errors import RateLimited
from dancu.settings import get_settings


@lru_cache(maxsize=4)
def _limiter(url: str) -> FixedWindowRateLimiter:
    storage: Storage = storage_from_string(url)
    return FixedWindowRateLimiter(storage)


def limiter() -> FixedWindowRateLimiter:
    """The limiter over the configured store (one per store URL and process)."""
    return _limiter(get_settings().exchange_rate_limit_url)


def hit(partner: str, purpose: str, *, per_partner: int, per_purpose: int) -> None:
    """Count one request; refuse with 429 ``exchange.rate_limited`` and ``Retry-After``
    when the partner or this purpose of it is over its limit for the current minute."""
    lim = limiter()
    checks = (
        (RateLimitItemPerMinute(per_partner), ("exchange", partner)),
        (RateLimitItemPerMinute(per_purpose), ("exchange", partner, purpose)),
    )
    for item, keys in checks:
        if not lim.hit(item, *keys):
            reset = lim.get_window_stats(item, *keys).reset_time
            retry = max(1, math.ceil(reset - time.time()))
            raise RateLimited(
                f"Over the limit of {item.amount} requests a minute", retry_after=retry
            )


def reset() -> None:
    """Forget every count of the configured store (tests; an operator after an incident)."""
    limiter().storage.reset()
