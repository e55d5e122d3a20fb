"""Citizens' dossiers, by concept: the state machine (``workflow``), the form (``forms``),
the fee (``fees``), draft and submission (``submission``) and the citizen's own actions
after it (``applicant``); this module describes a dossier for every page and keeps every
public name importable from ``procedures.service`` as before.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from dancu.procedures import catalogue
from dancu.procedures import repository as repo
from dancu.procedures.applicant import (  # noqa: F401 (re-exported)
    answer_supplement,
    choose_delivery,
    draft_for,
    my_dossier,
    my_dossiers,
    rate,
    withdraw,
)
from dancu.procedures.fees import fee_for, mark_paid  # noqa: F401 (re-exported)
from dancu.procedures.forms import MAX_VALUE, PID, clean_form, parse_date  # noqa: F401
from dancu.procedures.models import Dossier
from dancu.procedures.schemas import DossierOut, FileOut, HistoryOut, StepOut
from dancu.procedures.submission import KEY, save  # noqa: F401 (re-exported)
from dancu.procedures.workflow import (  # noqa: F401 (re-exported)
    FINAL,
    OPEN,
    VN_TZ,
    local_today,
    raise_transition,
    transition,
)


def describe(session: Session, dossier: Dossier, *, full: bool = True) -> DossierOut:
    out = DossierOut.model_validate(dossier)
    found = catalogue.catalogue().get(dossier.procedure_code)
    out.procedure_name = found.name if found else dossier.procedure_code
    out.form = {k: v for k, v in dossier.form.items() if not k.startswith("_")}
    if full:
        out.steps = [StepOut.model_validate(s) for s in repo.steps_of(session, dossier.id)]
        out.files = [FileOut.model_validate(f) for f in repo.files_of(session, dossier.id)]
        out.history = [HistoryOut.model_validate(h) for h in repo.history_of(session, dossier.id)]
    return out


def late(dossier: Dossier, today: date) -> bool:
    return (
        dossier.status in OPEN
        and dossier.status != "supplement"
        and dossier.due_on is not None
        and dossier.due_on < today
    )


def decided_on_time(dossier: Dossier, when: datetime) -> bool:
    local = when.astimezone(VN_TZ).date()
    return dossier.due_on is None or local <= dossier.due_on
