"""What a relying party learns about a citizen: the subject and the claims per scope.

``sub`` is never the ID number: it is an HMAC of the account id, keyed from the settings'
secret, per client (``pairwise``, the default: two clients cannot join their users) or the
same for every client (``public``). Registry claims are read through the registry service,
which writes the audit entry naming the client and the purpose ``identity_claims``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from sqlalchemy.orm import Session

from dancu.common.access import Actor, Role
from dancu.common.i18n import N_
from dancu.registry import service as registry
from dancu.settings import get_settings

PURPOSE = "identity_claims"
# scope -> the claims it releases (shown on the consent page, listed in discovery)
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "profile": ("name", "birthdate", "gender"),
    "dancu_pid": ("dancu_pid",),
    "address": ("address",),
}
# claim -> what the consent page says it is (English source, translated on the page)
CLAIM_LABELS: dict[str, str] = {
    "sub": N_("An identifier of your account for this service only"),
    "name": N_("Your full name"),
    "birthdate": N_("Your date of birth"),
    "gender": N_("Your sex"),
    "dancu_pid": N_("Your personal identification number (12 digits)"),
    "address": N_("Your permanent residence address"),
}
REGISTRY_SCOPES = frozenset({"profile", "dancu_pid", "address"})


def subject(account_id: int, client_id: str, subject_type: str) -> str:
    sector = client_id if subject_type == "pairwise" else "public"
    secret = hashlib.sha256(b"dancu oidc subject\x00" + get_settings().secret_key.encode())
    mac = hmac.new(secret.digest(), f"{sector}\x00{account_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:20]).rstrip(b"=").decode()


def claims_for(
    session: Session, pid: str | None, scopes: set[str], *, client_id: str, client_name: str
) -> dict[str, Any]:
    """The registry claims the granted scopes release (one audited registry read)."""
    if not pid or not scopes & REGISTRY_SCOPES:
        return {}
    actor = Actor(
        id=f"oidc-client:{client_id}"[:80],
        name=client_name,
        roles=frozenset({Role.SYSTEM}),
        units=(),
        organization=client_name,
    )
    citizen = registry.get_citizen(session, pid, actor=actor, purpose=PURPOSE)
    out: dict[str, Any] = {}
    if "profile" in scopes:
        out["name"] = citizen.full_name
        out["birthdate"] = citizen.birth_date.isoformat()
        out["gender"] = "male" if citizen.sex == "M" else "female"
    if "dancu_pid" in scopes:
        out["dancu_pid"] = citizen.pid
    if "address" in scopes:
        out["address"] = {
            "formatted": citizen.permanent_address,
            "street_address": citizen.address_detail,
            "locality": registry.commune_name(citizen.commune_code),
            "region": citizen.province_code,
            "country": "VN",
        }
    return out
