"""Partner bindings: a client-credentials client acting for a partner system.

A partner (a hospital, a bank, an agency) gets roles, units, an organization and allowed
purposes, bound to its client at registration (``dancu identity client add --partner-role
...``) and stored in ``oidc_client_partner``; ``bearer.verify`` reads them on every request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from dancu.common import adminunits
from dancu.common.access import PURPOSES, Role
from dancu.common.errors import NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.identity.errors import IdentityErrorCode
from dancu.identity.oidc.models import ClientPartner, OidcClient

# Roles a partner system may be bound to: never the administrator's.
PARTNER_ROLES = tuple(r for r in Role if r is not Role.SYSTEM)


PARTNER_ROLE_BY_VALUE = {r.value: r for r in PARTNER_ROLES}


def bind_partner(
    session: Session,
    client_id: str,
    *,
    roles: Iterable[str],
    units: Iterable[str] = (),
    nationwide: bool = False,
    organization: str,
    purposes: Iterable[str],
) -> ClientPartner:
    """Bind (or re-bind) a client-credentials client to a partner identity.

    The partner reads within ``units``; nationwide reads need ``nationwide=True`` (and no
    units), so a forgotten unit is refused rather than widened to the whole country."""
    client = session.get(OidcClient, client_id)
    if client is None:
        raise NotFound(
            "No such client", code=IdentityErrorCode.OIDC_CLIENT_UNKNOWN, field="client_id"
        )
    if "client_credentials" not in client.grant_types:
        raise ValidationFailed(
            "Only a client_credentials client acts as a partner",
            code=IdentityErrorCode.API_PARTNER_GRANT,
            field="grant_types",
        )
    role_list, unit_list, purpose_list = _checked(roles, units, nationwide, organization, purposes)
    row = session.get(ClientPartner, client_id) or ClientPartner(client_id=client_id)
    row.roles, row.units, row.purposes = role_list, unit_list, purpose_list
    row.organization, row.bound_at = organization.strip(), utcnow()
    session.add(row)
    session.flush()
    return row


def partner_of(session: Session, client_id: str) -> ClientPartner | None:
    return session.get(ClientPartner, client_id)


def _known_unit(code: str) -> bool:
    if len(code) == 5:
        return adminunits.find_commune(code) is not None
    return len(code) == 2 and any(p.code == code for p in adminunits.provinces())


def describe(row: ClientPartner | None) -> dict[str, Any]:
    """The binding as ``dancu identity client list`` shows it."""
    if row is None:
        return {}
    return {
        "roles": list(row.roles),
        "units": list(row.units) or ["*"],
        "organization": row.organization,
        "purposes": list(row.purposes),
    }


def _checked(
    roles: Iterable[str],
    units: Iterable[str],
    nationwide: bool,
    organization: str,
    purposes: Iterable[str],
) -> tuple[list[str], list[str], list[str]]:
    role_list = sorted(set(roles))
    if not role_list:
        raise ValidationFailed(
            "A partner needs a role", code=IdentityErrorCode.API_PARTNER_ROLE, field="roles"
        )
    if bad := [r for r in role_list if r not in {p.value for p in PARTNER_ROLES}]:
        raise ValidationFailed(
            f"Roles a partner cannot hold: {bad}",
            code=IdentityErrorCode.API_PARTNER_ROLE,
            field="roles",
        )
    unit_list = list(dict.fromkeys(units))
    if not unit_list and not nationwide:
        raise ValidationFailed(
            "Name at least one unit (--partner-unit / --unit), or bind the partner nationwide "
            "explicitly (--partner-nationwide / --nationwide)",
            code=IdentityErrorCode.API_PARTNER_UNIT,
            field="units",
        )
    if unit_list and nationwide:
        raise ValidationFailed(
            "A nationwide partner takes no units (--nationwide with --unit)",
            code=IdentityErrorCode.API_PARTNER_UNIT,
            field="units",
        )
    for unit in unit_list:
        if not _known_unit(unit):
            raise ValidationFailed(
                f"Unknown unit {unit!r}", code=IdentityErrorCode.API_PARTNER_UNIT, field="units"
            )
    if not organization.strip():
        raise ValidationFailed(
            "Name the partner's organization",
            code=IdentityErrorCode.API_PARTNER_ORGANIZATION,
            field="organization",
        )
    purpose_list = sorted(set(purposes))
    if not purpose_list:
        raise ValidationFailed(
            "Name the purposes the partner reads data for",
            code=IdentityErrorCode.API_PARTNER_PURPOSE,
            field="purposes",
        )
    if bad := [p for p in purpose_list if p not in PURPOSES]:
        raise ValidationFailed(
            f"Unknown purposes: {bad}", code=IdentityErrorCode.API_PARTNER_PURPOSE, field="purposes"
        )
    return role_list, unit_list, purpose_list
