"""Whom a dossier may be assigned to: the officers who could work its current step, those
whose live grant covers the dossier's unit (the commune, its province, or nationwide) and
whose role works that step's agency (``console.AGENCIES_OF``). The console's select lists
them and ``console.assign`` accepts no one else."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dancu.common.access import Actor, Permission, Role
from dancu.identity.accounts import officers
from dancu.procedures import repository as repo
from dancu.procedures.models import Dossier


@dataclass(frozen=True, slots=True)
class OfficerChoice:
    id: str  # the officer's actor id (``account:<n>``), what ``assigned_to`` stores
    name: str


def _role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


def _works(role: Role, agency: str | None, agencies_of: dict[Role, frozenset[str]]) -> bool:
    if not Actor(id="", name="", roles=frozenset({role})).can(Permission.PROCEDURE_PROCESS):
        return False
    return agency is None or agency in agencies_of.get(role, frozenset())


def officers_for(
    session: Session, dossier: Dossier, agencies_of: dict[Role, frozenset[str]]
) -> list[OfficerChoice]:
    """The officers who may be given this dossier, by name."""
    step = repo.step(session, dossier.id, dossier.current_step)
    agency = step.agency if step is not None else None
    units = {"", dossier.unit_code, dossier.province_code}
    found: dict[str, OfficerChoice] = {}
    for grant, account in officers.all_live_grants(session):
        role = _role(grant.role)
        if role is None or role == Role.SYSTEM or grant.unit_code not in units:
            continue
        if _works(role, agency, agencies_of) and account.status == "active":
            actor_id = f"account:{account.id}"
            found[actor_id] = OfficerChoice(actor_id, account.display_name)
    return sorted(found.values(), key=lambda o: (o.name, o.id))
