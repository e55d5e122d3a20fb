"""Payment-gateway adapters: where the citizen pays, and how the gateway's word is checked.

A gateway (a bank's or an intermediary's, or the simulated one of development) takes the
citizen to its checkout page and afterwards tells us, server to server, that the fee was
paid: a :class:`Confirmation` (transaction, dossier code, amount, time) in a JSON body with
a signature. ``verify`` accepts the body only if its HMAC-SHA256 under the secret shared
with that gateway matches, compared in constant time; what the body says is then checked
against the dossier by ``service.record_confirmation`` (amount, dossier, replay).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlencode

from dancu.common.errors import DancuError, ValidationFailed
from dancu.procedures.payment.errors import PaymentErrorCode
from dancu.settings import get_settings

SIMULATED = "simulated"
SIMULATED_CHECKOUT = "/demo/payment-gateway"


class BadSignature(DancuError):
    status_code = 401
    code = PaymentErrorCode.SIGNATURE


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What a gateway confirms: this transaction paid this amount for this dossier."""

    gateway: str
    transaction_id: str
    dossier_code: str
    amount_vnd: int
    paid_at: datetime

    def to_json(self) -> bytes:
        body = {**asdict(self), "paid_at": self.paid_at.isoformat()}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


class PaymentGateway(Protocol):
    name: str

    def checkout_url(self, dossier_code: str, amount_vnd: int, return_to: str) -> str: ...

    def verify(self, body: bytes, signature: str) -> Confirmation: ...


class HmacGateway:
    """A gateway that signs its confirmations with HMAC-SHA256 under a shared secret."""

    def __init__(self, name: str, secret: bytes, checkout: str) -> None:
        self.name = name
        self._secret = secret
        self._checkout = checkout

    def checkout_url(self, dossier_code: str, amount_vnd: int, return_to: str) -> str:
        query = urlencode({"dossier": dossier_code, "amount": amount_vnd, "return_to": return_to})
        return f"{self._checkout}?{query}"

    def sign(self, confirmation: Confirmation) -> tuple[bytes, str]:
        """The body and signature the gateway sends (the simulator and tests use it)."""
        body = confirmation.to_json()
        return body, self._mac(body)

    def verify(self, body: bytes, signature: str) -> Confirmation:
        if not hmac.compare_digest(self._mac(body), signature.strip()):
            raise BadSignature("The payment confirmation's signature does not match")
        confirmation = _parse(body)
        if confirmation.gateway != self.name:
            raise BadSignature("The confirmation names another gateway")
        return confirmation

    def _mac(self, body: bytes) -> str:
        digest = hmac.new(self._secret, body, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def simulated() -> HmacGateway:
    """The development gateway; its secret is derived from ``DANCU_SECRET_KEY``."""
    key = hmac.new(get_settings().secret_key.encode(), b"dancu payment simulator", "sha256")
    return HmacGateway(SIMULATED, key.digest(), SIMULATED_CHECKOUT)


def gateways() -> dict[str, PaymentGateway]:
    """The gateways in use: the simulated one only with the development sign-in."""
    return {SIMULATED: simulated()} if get_settings().dev_login else {}


def gateway(name: str) -> PaymentGateway:
    found = gateways().get(name)
    if found is None:
        raise ValidationFailed(
            "No such payment gateway", code=PaymentErrorCode.GATEWAY_UNKNOWN, field="gateway"
        )
    return found


def _parse(body: bytes) -> Confirmation:
    try:
        data: dict[str, Any] = json.loads(body)
        confirmation = Confirmation(
            gateway=str(data["gateway"]),
            transaction_id=str(data["transaction_id"]),
            dossier_code=str(data["dossier_code"]),
            amount_vnd=int(data["amount_vnd"]),
            paid_at=datetime.fromisoformat(str(data["paid_at"])),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise ValidationFailed(
            "The payment confirmation is not readable", code=PaymentErrorCode.MALFORMED
        ) from exc
    if confirmation.paid_at.tzinfo is None or not (
        0 < len(confirmation.transaction_id) <= 80 and 0 < len(confirmation.dossier_code) <= 64
    ):
        raise ValidationFailed(
            "The payment confirmation is not readable", code=PaymentErrorCode.MALFORMED
        )
    return confirmation
