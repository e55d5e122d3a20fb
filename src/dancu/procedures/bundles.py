"""What approving a step of an inter-connected dossier does (Decree 63/2024/ND-CP).

Birth bundle: the justice step registers the birth in the registry (a personal ID number is
assigned, the child joins the parent's household: the permanent residence); the police
step confirms the residence and asks the insurer for the child's card
(``procedures.insurance_card_requested``, answered by the exchange domain's insurer
adapter, which completes the insurer's step with ``record_insurance_card``).

Death bundle: the justice step records the death (the registry closes the e-ID account and
revokes the card); the police step removes the permanent residence (a deceased citizen
leaves the residence book with the death) and opens the funeral allowance for the payments
domain (``procedures.funeral_allowance_opened``); the labour step decides it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from dancu.common import outbox
from dancu.common.access import Actor, Role
from dancu.procedures import events
from dancu.procedures.models import Dossier, DossierStep
from dancu.procedures.prefill import citizen_record
from dancu.registry import civil_status
from dancu.registry.schemas import BirthIn, DeathIn


def _parse(value: str) -> date:
    text = value.strip().replace(".", "/").replace("-", "/")
    a, b, c = text.split("/")
    return date(int(a), int(b), int(c)) if len(a) == 4 else date(int(c), int(b), int(a))


def registrar(officer: Actor) -> Actor:
    """The officer, acting in the registry as the civil-status registrar of their own units
    (the audit entry names the officer)."""
    return Actor(
        id=officer.id,
        name=officer.name,
        roles=frozenset({Role.REGISTRY_CLERK}),
        units=officer.units,
        organization=officer.organization,
    )


def on_step_approved(
    session: Session, dossier: Dossier, step: DossierStep, *, officer: Actor, kind: str
) -> dict[str, Any]:
    """The step's effect; returns what it produced (kept on the step and the result)."""
    if kind == "birth_bundle":
        return _birth(session, dossier, step, officer)
    if kind == "death_bundle":
        return _death(session, dossier, step, officer)
    return {}


def _birth(session: Session, dossier: Dossier, step: DossierStep, officer: Actor) -> dict[str, Any]:
    form = dossier.form
    if step.agency == "justice":
        parent = citizen_record(session, dossier.applicant_pid)
        data = BirthIn(
            full_name=form["child_name"],
            birth_date=_parse(form["child_birth_date"]),
            sex=form["child_sex"],
            mother_pid=parent.pid if parent.sex == "F" else None,
            father_pid=parent.pid if parent.sex == "M" else None,
            place_of_birth=form.get("place_of_birth", ""),
            commune_code=parent.commune_code,
        )
        event = civil_status.register_birth(
            session, data, actor=registrar(officer), key=f"procedures:{dossier.code}:birth"
        )
        return {"child_pid": event.citizen_pid, "child_name": data.full_name}
    if step.agency == "police":
        child_pid = str(dossier.result.get("child_pid", ""))
        child = citizen_record(session, child_pid)
        outbox.emit(
            session,
            events.INSURANCE_CARD_REQUESTED,
            {
                "dossier": dossier.code,
                "child_pid": child.pid,
                "birth_date": child.birth_date.isoformat(),
                "commune_code": child.commune_code,
                "parent_pid": dossier.applicant_pid,
            },
        )
        return {"household_no": child.household_no or "", "commune_code": child.commune_code}
    return {}


def _death(session: Session, dossier: Dossier, step: DossierStep, officer: Actor) -> dict[str, Any]:
    form = dossier.form
    if step.agency == "justice":
        data = DeathIn(pid=form["deceased_pid"], death_date=_parse(form["death_date"]))
        civil_status.register_death(
            session, data, actor=registrar(officer), key=f"procedures:{dossier.code}:death"
        )
        return {"deceased_pid": data.pid, "death_registered": True}
    if step.agency == "police":
        outbox.emit(
            session,
            events.FUNERAL_ALLOWANCE_OPENED,
            {
                "dossier": dossier.code,
                "deceased_pid": form["deceased_pid"],
                "death_date": _parse(form["death_date"]).isoformat(),
                "claimant_pid": dossier.applicant_pid,
                "commune_code": dossier.unit_code,
            },
        )
        return {"residence_removed": True, "funeral_allowance_opened": True}
    return {}
