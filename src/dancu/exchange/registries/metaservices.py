"""X-Road-style metaservices: who the exchange's clients are, what services it offers, which
of them the caller may use, and each service's OpenAPI document.

The shapes follow X-Road's REST metaservices (``listClients``, ``listMethods``,
``allowedMethods``, ``getOpenAPI?serviceCode=``): identifiers carry ``xroad_instance``,
``member_class``, ``member_code`` and ``subsystem_code``. The exchange itself is the
subsystem ``VN/GOV/C06/dancu-exchange``; a partner client is ``VN/<class>/<client id>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.common.errors import NotFound
from dancu.exchange.errors import ExchangeErrorCode as Code
from dancu.identity.oidc import clients, partners

INSTANCE, MEMBER_CLASS, MEMBER_CODE, SUBSYSTEM = "VN", "GOV", "C06", "dancu-exchange"


@dataclass(frozen=True, slots=True)
class Service:
    code: str
    title: str
    prefix: str  # the paths of its operations
    purposes: frozenset[str]  # a partner holding one of them may use it (empty: any purpose)


SERVICES = (
    Service(
        "ekyc", "Bank eKYC with the chip ID card", "/api/exchange/ekyc", frozenset({"bank_ekyc"})
    ),
    Service(
        "cleaning",
        "Customer-record cleaning for banks",
        "/api/exchange/cleaning",
        frozenset({"bank_cleaning"}),
    ),
    Service(
        "registries",
        "GovStack Digital Registries: the population registry",
        "/api/govstack",
        frozenset(),
    ),
)


def _service_id(service: Service) -> dict[str, str]:
    return {
        "object_type": "SERVICE",
        "xroad_instance": INSTANCE,
        "member_class": MEMBER_CLASS,
        "member_code": MEMBER_CODE,
        "subsystem_code": SUBSYSTEM,
        "service_code": service.code,
        "service_type": "REST",
    }


def list_clients(session: Session) -> dict[str, Any]:
    """The active partner clients (``member``: id and organization name)."""
    members = []
    for client in clients.list_clients(session):
        binding = partners.partner_of(session, client.client_id)
        if binding is None or not client.active:
            continue
        members.append(
            {
                "id": {
                    "object_type": "SUBSYSTEM",
                    "xroad_instance": INSTANCE,
                    "member_class": "GOV" if "inspection" in binding.purposes else "COM",
                    "member_code": client.client_id,
                    "subsystem_code": client.client_id,
                },
                "name": binding.organization,
            }
        )
    return {"member": members}


def list_methods() -> dict[str, Any]:
    return {"service": [_service_id(s) for s in SERVICES]}


def allowed_methods(actor: Actor) -> dict[str, Any]:
    """The services the caller's purposes open (an officer: all)."""
    mine = actor.purposes
    allowed = [s for s in SERVICES if mine is None or not s.purposes or s.purposes & mine]
    return {"service": [_service_id(s) for s in allowed]}


def openapi_of(document: dict[str, Any], service_code: str) -> dict[str, Any]:
    """The app's OpenAPI document cut down to one service's paths."""
    service = next((s for s in SERVICES if s.code == service_code), None)
    if service is None:
        raise NotFound(
            f"No service {service_code!r}",
            code=Code.REGISTRIES_UNKNOWN_SERVICE,
            field="serviceCode",
        )
    paths = {p: ops for p, ops in document.get("paths", {}).items() if p.startswith(service.prefix)}
    return {
        **{k: v for k, v in document.items() if k != "paths"},
        "info": {**document.get("info", {}), "title": f"dancu {service.title}"},
        "paths": paths,
    }
