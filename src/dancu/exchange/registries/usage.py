""" "My personal data usage": who read a citizen's data, from the audit trail.

The building block's ``PersonalDataUsage`` log records come from ``audit_log`` entries about
the citizen: the reader (the officer's account or the partner's client), their initials,
institution and application, when, and what was read (``refrences``: the record id, then
the fields). Asked by the citizen's portal or an officer with the ``audit.read``
permission, inside their area (``registry.service.audit_trail``); reading the trail is
itself audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor
from dancu.exchange.errors import ExchangeErrorCode as Code
from dancu.exchange.registries.schemas import REGISTRY, USAGE_FIELDS, Spelling, spell
from dancu.exchange.registries.service import BadRequest
from dancu.registry import service as registry
from dancu.registry.schemas import AuditEntryOut

PURPOSE = "citizen_request"
MAX_ENTRIES = 500


def personal_data_usage(
    session: Session, user_id: str, database_id: str, *, actor: Actor, spelling: Spelling
) -> list[dict[str, Any]]:
    """The readers of ``user_id``'s data in ``database_id`` (400 for an invalid one)."""
    if database_id.lower() != REGISTRY:
        raise BadRequest(
            f"Unknown databaseId {database_id!r} (serving {REGISTRY!r})",
            code=Code.REGISTRIES_UNKNOWN_REGISTRY,
            field="databaseId",
        )
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) == 12):
        raise BadRequest(
            "userId must be a 12-digit ID number", code=Code.REGISTRIES_BAD_QUERY, field="userId"
        )
    entries = registry.audit_trail(session, user_id, actor=actor, limit=MAX_ENTRIES)
    audit.record(
        session,
        actor,
        action="registries.usage_read",
        subject_type="citizen",
        subject_id=user_id,
        purpose=PURPOSE,
        fields=("audit_trail",),
    )
    return [usage(e, user_id, spelling) for e in entries]


def initials(name: str) -> str:
    return "".join(word[0] for word in name.split() if word[:1].isalpha()).upper()


def usage(entry: AuditEntryOut, user_id: str, spelling: Spelling) -> dict[str, Any]:
    kind, _, ident = entry.actor_id.partition(":")
    values = {
        "id": str(entry.id),
        "reader_id": entry.actor_id,
        "reader_initials": initials(entry.actor_name),
        "institution_id": ident if kind == "client" else entry.organization,
        "institution_name": entry.organization,
        "application_name": entry.actor_name,
        "at": entry.at.isoformat().replace("+00:00", "Z"),
        "references": [{"ReferenceID": user_id}, *({"ReferenceID": f} for f in entry.fields)],
        "purpose": entry.purpose,
    }
    return spell(values, spelling, USAGE_FIELDS)
