"""The exchange's own actor: it reads the registry on a partner's behalf (a bank's eKYC, a
customer list's cleaning), then audits under the partner's name exactly what it released."""

from __future__ import annotations

from dancu.common.access import Actor, Role

EXCHANGE_ACTOR = Actor(
    id="system:exchange",
    name="dancu exchange",
    roles=frozenset({Role.SYSTEM}),
    organization="system",
)
