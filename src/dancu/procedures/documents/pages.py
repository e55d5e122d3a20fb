"""The papers as PDFs: the citizen's receipt and signed result, the officer's slips.

``/my-dossiers/{code}/papers/{kind}`` (receipt, result) for the citizen who owns the
dossier; ``/procedure-console/dossiers/{code}/slips/{kind}`` (receipt, supplement,
refusal, apology, control) for an officer of the dossier's units. Each answers the PDF
inline, so the browser shows it and prints it.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dancu.common.access import Permission
from dancu.common.bounds import Code, Text
from dancu.common.errors import Forbidden
from dancu.identity.pages.common import signed_in
from dancu.procedures import service as dossiers
from dancu.procedures.documents import service as papers
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.prefill import Applicant
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter(include_in_schema=False)


def _applicant(request: Request, db: Any) -> Applicant:
    login = signed_in(request, db)
    if not login.citizen_pid:
        raise Forbidden("This account is not a citizen's", code=ProcedureErrorCode.NO_CITIZEN)
    level = login.level(int(time.time()))
    return Applicant(login.citizen_pid, login.account_id, login.display_name, level)


def _pdf(paper: papers.Paper) -> Response:
    return Response(
        paper.data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{paper.file_name}"'},
    )


@router.get("/my-dossiers/{code}/papers/{kind}", response_model=None)
def citizen_paper(request: Request, code: Code, kind: Code, db: DbSession) -> Response:
    """The receipt (form 01) or the signed result of the citizen's own dossier."""
    return _pdf(papers.citizen_paper(db, _applicant(request, db), code, kind))


@router.get("/procedure-console/dossiers/{code}/slips/{kind}", response_model=None)
def officer_slip(
    code: Code,
    kind: Code,
    db: DbSession,
    actor: CurrentActor,
    reason: Text = "",
    new_due_on: Code = "",
) -> Response:
    """A Circular 01/2018 slip of a dossier of the officer's units."""
    actor.require(Permission.PROCEDURE_PROCESS)
    due = dossiers.parse_date(new_due_on) if new_due_on else None
    return _pdf(papers.slip(db, actor, code, kind, reason=reason, new_due_on=due))
