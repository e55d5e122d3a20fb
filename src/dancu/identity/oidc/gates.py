"""Client gates: a port through which a higher domain refuses a client at the token endpoint.

Identity owns the OIDC clients; a domain above it may keep its own state about some of them
(the exchange's partner credentials expire, are rotated out and revoked). A gate is a
function ``(session, client_id, now) -> refusal or None`` that the app factory installs
(``client_gates.install``), the way it subscribes outbox handlers. The client-credentials
grant asks every gate before issuing a token (``server.ClientCredentialsGrant``), so a
refused client gets no new token: ``invalid_client`` with the gate's description.
Identity never imports the domain behind a gate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

# -> None (let it through) or a description of the refusal, e.g. "exchange.credential_revoked:
# The credential was revoked".
Gate = Callable[[Session, str, datetime], str | None]


class ClientGates:
    """The installed gates (the app and CLI wire them at start-up)."""

    def __init__(self) -> None:
        self._gates: list[Gate] = []

    def install(self, gate: Gate) -> None:
        if gate not in self._gates:
            self._gates.append(gate)

    def uninstall(self, gate: Gate) -> None:
        if gate in self._gates:
            self._gates.remove(gate)

    def refusal(self, session: Session, client_id: str, now: datetime) -> str | None:
        """The first gate's refusal of this client, or None."""
        for gate in self._gates:
            if (refused := gate(session, client_id, now)) is not None:
                return refused
        return None


client_gates = ClientGates()
