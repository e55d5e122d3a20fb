"""Once-only data: the form filled from the registry and the wallet, and the components the
data already proves left out ("no need to re-declare existing information").

The registry is read through its audited service (purpose ``administrative_procedure``),
the wallet through ``held_types`` (which document types the account holds), earlier
results from the citizen's own approved dossiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.access import Actor, Role
from dancu.common.errors import NotFound, ValidationFailed
from dancu.common.i18n import N_
from dancu.identity.wallet import service as wallet
from dancu.procedures.catalogue import Procedure
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.models import Dossier
from dancu.procedures.schemas import Prefill, Reused
from dancu.registry import service as registry
from dancu.registry.schemas import CitizenOut

# The procedures service itself when it reads the applicant's record for their dossier.
PROCEDURES_ACTOR = Actor(
    id="system:procedures",
    name="dancu procedures",
    roles=frozenset({Role.SYSTEM}),
    organization="system",
)
PURPOSE = "administrative_procedure"
# Where a reused component came from, in words (English, translated where shown).
FACT_LABELS = {
    "card": N_("The ID card recorded in the population registry"),
    "permanent_address": N_("The permanent residence recorded in the population registry"),
    "household": N_("The household recorded in the population registry"),
    "marital_status": N_("The marital status recorded in the population registry"),
    "birth": N_("The birth recorded in the population registry"),
    "online_form": N_("The electronic form of this portal"),
}


@dataclass(frozen=True, slots=True)
class Applicant:
    """The signed-in citizen: their ID number, e-ID account and the level of the sign-in."""

    pid: str
    account_id: int | None
    name: str
    level: int = 1

    @property
    def actor(self) -> Actor:
        return Actor(id=f"citizen:{self.pid}", name=self.name, organization="")


def citizen_record(session: Session, pid: str) -> CitizenOut:
    """The applicant's registry record (audited, purpose: administrative procedure)."""
    try:
        return registry.get_citizen(session, pid, actor=PROCEDURES_ACTOR, purpose=PURPOSE)
    except (NotFound, ValidationFailed) as exc:
        raise NotFound(
            "The applicant is not in the population registry",
            code=ProcedureErrorCode.NO_CITIZEN,
            field="pid",
        ) from exc


def _registry_fact(citizen: CitizenOut, fact: str) -> bool:
    if fact == "card":
        return citizen.card is not None and citizen.card.validity in ("valid", "expiring")
    if fact == "permanent_address":
        return bool(citizen.commune_code)
    if fact == "household":
        return bool(citizen.household_no)
    if fact == "marital_status":
        return citizen.marital_status in ("single", "married", "divorced", "widowed")
    return fact == "birth"


def earlier_results(session: Session, pid: str) -> set[str]:
    """Codes of the procedures whose result this citizen already holds (approved dossiers)."""
    stmt = select(Dossier.procedure_code).where(
        Dossier.applicant_pid == pid, Dossier.status == "approved"
    )
    return set(session.scalars(stmt))


def _value(citizen: CitizenOut, name: str) -> str:
    value = getattr(citizen, name, None)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def prefill(
    session: Session, procedure: Procedure, applicant: Applicant, *, today: date | None = None
) -> Prefill:
    """The values the form starts with, what was reused (and from where), what is asked."""
    citizen = citizen_record(session, applicant.pid)
    held = wallet.held_types(session, applicant.account_id) if applicant.account_id else set()
    results = earlier_results(session, applicant.pid)
    values: dict[str, str] = {}
    reused: list[Reused] = []
    for field in procedure.fields:
        if field.prefill:
            value = _value(citizen, field.prefill.removeprefix("registry."))
            if value:
                values[field.key] = value
                reused.append(
                    Reused(kind="field", key=field.key, label=field.label, source="registry")
                )
    asked: list[str] = []
    for comp in procedure.components:
        source, _, what = (comp.satisfied_by or "").partition(":")
        proven = False
        detail = ""
        if source == "form":
            proven, detail = True, "online_form"
        elif source == "registry":
            proven, detail = _registry_fact(citizen, what), what
        elif source == "wallet":
            proven, detail = what in held, what  # a wallet document type
        elif source == "result":
            proven, detail = what in results, what  # a procedure's code
        if proven:
            reused.append(
                Reused(
                    kind="component",
                    key=comp.key,
                    label=comp.name,
                    source=source,  # type: ignore[arg-type]
                    detail=detail,
                )
            )
        else:
            asked.append(comp.key)
    unit = citizen.commune_code if procedure.level == "commune" else citizen.province_code
    return Prefill(
        values=values,
        reused=reused,
        asked=asked,
        handling_unit=unit,
        province_code=citizen.province_code,
    )
